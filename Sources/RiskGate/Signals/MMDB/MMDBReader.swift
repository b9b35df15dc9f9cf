import Foundation

/// A MaxMind DB (`.mmdb`) file held in memory: GeoIP2/GeoLite2, DB-IP Lite and other databases in that format.
///
/// Pure Swift, no libmaxminddb. The file is read once; lookups walk the search tree and decode
/// from the in-memory bytes, checking every offset, so a truncated or damaged file yields an
/// ``MMDBError`` rather than a crash. A value is immutable and safe to share across threads.
///
/// ```swift
/// let city = try MMDBReader(contentsOf: URL(fileURLWithPath: "GeoLite2-City.mmdb"))
/// let record = try city.lookup(IPAddress("81.2.69.142")!)
/// record?[path: ["country", "iso_code"]]   // .string("GB")
/// ```
public struct MMDBReader: Sendable {
    /// The file's metadata (type, build date, tree shape).
    public let metadata: MMDBMetadata
    private let bytes: [UInt8]
    private let nodeCount: Int
    private let recordSize: Int
    private let nodeBytes: Int
    private let dataStart: Int
    private let dataEnd: Int
    /// Record value reached after following 96 zero bits in an IPv6 tree: where IPv4 lookups start.
    private let ipv4Start: Int

    /// Largest file accepted (real City databases are about 70 MB).
    public static let maxFileSize = 2 << 30

    /// Reads and validates a database file.
    ///
    /// - Throws: ``MMDBError`` with code `io` when the file cannot be read, `notMMDB` without a
    ///   metadata marker, `corrupt` or `unsupported` for a damaged or foreign layout.
    public init(contentsOf url: URL) throws {
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .alwaysMapped)
        } catch {
            throw MMDBError(.io, "cannot read `\(url.path)`: \(error.localizedDescription)")
        }
        guard data.count <= MMDBReader.maxFileSize else { throw MMDBError(.unsupported, "`\(url.path)` is larger than 2 GiB") }
        try self.init(bytes: [UInt8](data))
    }

    /// Reads a database from its bytes.
    ///
    /// - Throws: ``MMDBError`` as for ``init(contentsOf:)``.
    public init(bytes: [UInt8]) throws {
        let (metadata, layout) = try bytes.withUnsafeBytes { raw -> (MMDBMetadata, (Int, Int, Int)) in
            guard let start = MMDBMetadata.findStart(in: raw) else {
                throw MMDBError(.notMMDB, "no MaxMind DB metadata marker found")
            }
            let metadata = try MMDBMetadata(bytes: raw, start: start)
            let nodeBytes = metadata.recordSize * 2 / 8
            let (treeSize, overflow) = metadata.nodeCount.multipliedReportingOverflow(by: nodeBytes)
            let markerStart = start - MMDBMetadata.marker.count
            guard !overflow, metadata.nodeCount > 0, treeSize + 16 <= markerStart else {
                throw MMDBError.corrupt("search tree of \(metadata.nodeCount) nodes does not fit before the metadata")
            }
            return (metadata, (nodeBytes, treeSize + 16, markerStart))
        }
        self.metadata = metadata
        self.bytes = bytes
        nodeCount = metadata.nodeCount
        recordSize = metadata.recordSize
        nodeBytes = layout.0
        dataStart = layout.1
        dataEnd = layout.2
        var node = 0
        if metadata.ipVersion == 6 {
            var depth = 0
            while depth < 96 && node < metadata.nodeCount {
                node = bytes.withUnsafeBytes { MMDBReader.record($0, node: node, right: false, nodeBytes: layout.0, recordSize: metadata.recordSize) }
                depth += 1
            }
        }
        ipv4Start = node
    }

    @inline(__always)
    private static func record(_ p: UnsafeRawBufferPointer, node: Int, right: Bool, nodeBytes: Int, recordSize: Int) -> Int {
        let o = node * nodeBytes
        switch recordSize {
        case 24:
            let b = right ? o + 3 : o
            return Int(p[b]) << 16 | Int(p[b + 1]) << 8 | Int(p[b + 2])
        case 28:
            if right {
                return (Int(p[o + 3]) & 0x0F) << 24 | Int(p[o + 4]) << 16 | Int(p[o + 5]) << 8 | Int(p[o + 6])
            }
            return (Int(p[o + 3]) & 0xF0) << 20 | Int(p[o]) << 16 | Int(p[o + 1]) << 8 | Int(p[o + 2])
        default:
            let b = right ? o + 4 : o
            return Int(p[b]) << 24 | Int(p[b + 1]) << 16 | Int(p[b + 2]) << 8 | Int(p[b + 3])
        }
    }

    /// Absolute offset of the data record for `ip`, or nil when the database has none.
    private func dataOffset(_ p: UnsafeRawBufferPointer, for ip: IPAddress) throws -> Int? {
        var node: Int
        let bits: Int
        if ip.isV4 {
            node = ipv4Start
            bits = 32
        } else {
            guard metadata.ipVersion == 6 else { return nil }
            node = 0
            bits = 128
        }
        var i = 0
        while i < bits && node < nodeCount {
            node = MMDBReader.record(p, node: node, right: ip.bit(i), nodeBytes: nodeBytes, recordSize: recordSize)
            i += 1
        }
        if node == nodeCount { return nil }
        guard node > nodeCount else { throw MMDBError.corrupt("search tree for \(ip) ends inside the tree") }
        let offset = dataStart + (node - nodeCount - 16)
        guard offset >= dataStart, offset < dataEnd else {
            throw MMDBError.corrupt("search tree record for \(ip) points outside the data section")
        }
        return offset
    }

    /// The full record stored for `ip`; nil when the database holds none for it.
    ///
    /// - Throws: ``MMDBError`` (`corrupt`) when the tree or the record is damaged.
    public func lookup(_ ip: IPAddress) throws -> MMDBValue? {
        try bytes.withUnsafeBytes { p in
            guard let offset = try dataOffset(p, for: ip) else { return nil }
            return try MMDBDecoder(bytes: p, base: dataStart, limit: dataEnd).value(at: offset)
        }
    }

    /// Runs `body` with a decoder positioned on the record for `ip`, for typed field reads that allocate nothing.
    func withRecord<T>(_ ip: IPAddress, _ body: (MMDBDecoder, Int) throws -> T?) throws -> T? {
        try bytes.withUnsafeBytes { p in
            guard let offset = try dataOffset(p, for: ip) else { return nil }
            return try body(MMDBDecoder(bytes: p, base: dataStart, limit: dataEnd), offset)
        }
    }
}
