#include <maxminddb.h>
#include <stdint.h>

/* A 128-bit value's halves: Swift does not import `unsigned __int128` union members. */
static inline void riskgate_mmdb_uint128(const MMDB_entry_data_s *data, uint64_t *high, uint64_t *low) {
#if MMDB_UINT128_IS_BYTE_ARRAY
    uint64_t h = 0, l = 0;
    for (int i = 0; i < 8; i++) { h = (h << 8) | data->uint128[i]; l = (l << 8) | data->uint128[i + 8]; }
    *high = h; *low = l;
#else
    *high = (uint64_t)(data->uint128 >> 64);
    *low = (uint64_t)data->uint128;
#endif
}
