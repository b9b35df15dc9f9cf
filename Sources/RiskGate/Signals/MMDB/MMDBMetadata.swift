/// The metadata block at the end of a MaxMind DB file.
public struct MMDBMetadata: Sendable, Hashable {
    /// Nodes in the search tree.
    public var nodeCount: Int
    /// Bits per search-tree record: 24, 28 or 32.
    public var recordSize: Int
    /// 4 for an IPv4-only tree, 6 for a tree holding both families.
    public var ipVersion: Int
    /// e.g. `GeoIP2-City`, `GeoLite2-ASN`, `DBIP-City-Lite`.
    public var databaseType: String
    /// Seconds since 1970 when the database was built.
    public var buildEpoch: UInt64
    public var formatMajorVersion: Int
    public var formatMinorVersion: Int
    /// Language codes the database has names in.
    public var languages: [String]

    /// The marker that starts the metadata section: `\xAB\xCD\xEFMaxMind.com`.
    static let marker: [UInt8] = [0xAB, 0xCD, 0xEF] + Array("MaxMind.com".utf8)
    /// The metadata section lies within this many bytes of the end of the file.
    static let searchWindow = 128 * 1024

    /// Offset just after the last metadata marker in `bytes`.
    static func findStart(in bytes: UnsafeRawBufferPointer) -> Int? {
        let marker = MMDBMetadata.marker
        guard bytes.count >= marker.count else { return nil }
        let lowest = max(0, bytes.count - searchWindow)
        var start = bytes.count - marker.count
        while start >= lowest {
            if bytes[start] == marker[0] {
                var match = true
                for i in 1..<marker.count where bytes[start + i] != marker[i] {
                    match = false
                    break
                }
                if match { return start + marker.count }
            }
            start -= 1
        }
        return nil
    }

    /// Decodes and validates the metadata map that starts at `start`.
    init(bytes: UnsafeRawBufferPointer, start: Int) throws {
        let decoder = MMDBDecoder(bytes: bytes, base: start, limit: bytes.count)
        let map = try decoder.value(at: start)
        guard case .map = map else { throw MMDBError.corrupt("metadata is not a map") }
        func unsigned(_ key: String, max: UInt64) throws -> UInt64 {
            guard let v = map[key]?.uintValue else { throw MMDBError.corrupt("metadata field `\(key)` is missing or not an integer") }
            guard v <= max else { throw MMDBError.corrupt("metadata field `\(key)` is out of range: \(v)") }
            return v
        }
        formatMajorVersion = Int(try unsigned("binary_format_major_version", max: 1000))
        formatMinorVersion = Int(try unsigned("binary_format_minor_version", max: 1000))
        guard formatMajorVersion == 2 else {
            throw MMDBError(.unsupported, "binary format major version \(formatMajorVersion) (only 2 is supported)")
        }
        nodeCount = Int(try unsigned("node_count", max: UInt64(UInt32.max)))
        recordSize = Int(try unsigned("record_size", max: 64))
        guard [24, 28, 32].contains(recordSize) else { throw MMDBError(.unsupported, "record size \(recordSize) (expected 24, 28 or 32)") }
        ipVersion = Int(try unsigned("ip_version", max: 64))
        guard ipVersion == 4 || ipVersion == 6 else { throw MMDBError.corrupt("ip_version \(ipVersion) (expected 4 or 6)") }
        databaseType = map["database_type"]?.stringValue ?? ""
        buildEpoch = map["build_epoch"]?.uintValue ?? 0
        if case .array(let items)? = map["languages"] {
            languages = items.compactMap(\.stringValue)
        } else {
            languages = []
        }
    }
}
