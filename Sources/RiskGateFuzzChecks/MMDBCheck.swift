import RiskGateEngine
import RiskGatePolicy

/// An MMDB file: opened by ``MMDBReader`` (libmaxminddb validates the metadata), then looked up
/// as the signal computer does, through ``GeoDatabase`` in every role (city, ASN, anonymous), and
/// field by field along a few paths.
///
/// A file is refused with an ``MMDBError`` or opened; a lookup returns a value, nothing, or an
/// ``MMDBError``, within the per-input timeout (pointer loops in a hostile file must not hang it).
enum MMDBCheck {
    /// Addresses in the MaxMind test databases (the seeds) and at the edges of both families.
    static let probes: [IPAddress] = [
        "81.2.69.160", "216.160.83.56", "89.160.20.128", "2.125.160.216", "1.0.0.1", "149.101.100.1", "0.0.0.0",
        "255.255.255.255", "::", "::1", "2001:218::", "2a02:cf40::1", "::ffff:81.2.69.160", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
    ].map { IPAddress($0)! }

    static let paths = [MMDBPath("country", "iso_code"), MMDBPath("location", "latitude"), MMDBPath("n"),
                        MMDBPath("autonomous_system_number"), MMDBPath("is_anonymous")]

    static func run(_ bytes: UnsafeRawBufferPointer, _ f: inout Findings) {
        let reader: MMDBReader
        do {
            reader = try MMDBReader(bytes: Array(bytes))
        } catch {
            f.require(error is MMDBError, "open threw \(type(of: error)), not MMDBError")
            return
        }
        let geo = GeoDatabase(city: reader, asn: reader, anonymous: reader, cachingRecords: false)
        for ip in probes {
            do {
                if let record = try reader.record(for: ip) {
                    for path in paths { _ = try record.value(path) }
                }
            } catch {
                f.require(error is MMDBError, "lookup threw \(type(of: error)), not MMDBError")
            }
            _ = geo.locate(ip)
        }
    }
}
