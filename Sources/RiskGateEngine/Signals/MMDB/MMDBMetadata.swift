import CMaxMindDB

/// The metadata block at the end of a MaxMind DB file, as libmaxminddb validated it.
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

    init(_ metadata: MMDB_metadata_s) {
        nodeCount = Int(metadata.node_count)
        recordSize = Int(metadata.record_size)
        ipVersion = Int(metadata.ip_version)
        databaseType = metadata.database_type.map { String(cString: $0) } ?? ""
        buildEpoch = metadata.build_epoch
        formatMajorVersion = Int(metadata.binary_format_major_version)
        formatMinorVersion = Int(metadata.binary_format_minor_version)
        languages = (0..<metadata.languages.count).compactMap { index in
            metadata.languages.names?[index].map { String(cString: $0) }
        }
    }
}
