/// 64-bit FNV-1a over feature bytes, with a final avalanche, for the model's count tables.
///
/// Keys chain: a level's key hashes its parent's key, the level and the value, so equal values
/// under different parents (the same IP announced under two ASNs) are different keys. Zero is
/// reserved for "absent" and never returned.
package struct FeatureHash {
    private var state: UInt64 = 0xCBF2_9CE4_8422_2325

    /// The key of a chain's root (the parent of its first level).
    package static func chainRoot(_ chain: Int) -> UInt64 {
        var hash = FeatureHash()
        hash.feed(byte: 0xC0)
        hash.feed(byte: UInt8(truncatingIfNeeded: chain))
        return hash.finish()
    }

    /// Starts the key of `level`'s value under `parent`.
    package init(parent: UInt64, level: ModelLevel) {
        feed(parent)
        feed(byte: UInt8(truncatingIfNeeded: level.rawValue))
    }

    private init() {}

    package mutating func feed(byte: UInt8) {
        state = (state ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
    }

    package mutating func feed(_ value: UInt64) {
        var v = value
        for _ in 0..<8 {
            feed(byte: UInt8(truncatingIfNeeded: v))
            v >>= 8
        }
    }

    /// Feeds at most `limit` bytes of `text`, then its full length, so very long values cost bounded work.
    package mutating func feed(_ text: Substring.UTF8View, limit: Int) {
        var fed = 0
        for byte in text {
            if fed == limit { break }
            feed(byte: byte)
            fed += 1
        }
        feed(UInt64(text.count))
    }

    /// The final key (MurmurHash3's fmix64 spreads FNV's weak high bits), never zero.
    package func finish() -> UInt64 {
        var h = state
        h ^= h >> 33
        h = h &* 0xFF51_AFD7_ED55_8CCD
        h ^= h >> 33
        h = h &* 0xC4CE_B9FE_1A85_EC53
        h ^= h >> 33
        return h == 0 ? 1 : h
    }
}
