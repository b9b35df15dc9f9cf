import CMaxMindDB
import Foundation
import RiskGatePolicy

/// A MaxMind DB (`.mmdb`) file: GeoIP2/GeoLite2, DB-IP Lite and other databases in that format,
/// read with libmaxminddb, MaxMind's reference reader.
///
/// The file is memory-mapped once; lookups are lock-free and safe from any thread (libmaxminddb
/// only reads the mapping). A damaged tree or record gives an ``MMDBError`` for that lookup,
/// never a crash. Fields are read by path (``MMDBRecord/value(_:)``), which follows only the
/// pointers on that path, so a record built to expand into billions of values costs nothing.
///
/// ```swift
/// let city = try MMDBReader(contentsOf: URL(fileURLWithPath: "GeoLite2-City.mmdb"))
/// let record = try city.record(for: IPAddress("81.2.69.142")!)
/// try record?.value(MMDBPath("country", "iso_code"))   // .string("GB")
/// ```
public final class MMDBReader: @unchecked Sendable {
    /// The file's metadata (type, build date, tree shape).
    public let metadata: MMDBMetadata
    /// libmaxminddb's handle: written once by `MMDB_open`, then only read.
    let database: UnsafeMutablePointer<MMDB_s>

    /// Largest file accepted (real City databases are about 70 MB).
    public static let maxFileSize = 2 << 30

    /// Opens and validates a database file.
    ///
    /// - Throws: ``MMDBError`` with code `io` when the file cannot be read, `notMMDB` when it has
    ///   no valid metadata, `corrupt` or `unsupported` for a damaged or foreign layout.
    public init(contentsOf url: URL) throws {
        var info = stat()
        guard stat(url.path, &info) == 0 else {
            throw MMDBError(.io, "cannot read `\(url.path)`: \(String(cString: strerror(errno)))")
        }
        guard Int(info.st_size) <= MMDBReader.maxFileSize else { throw MMDBError(.unsupported, "`\(url.path)` is larger than 2 GiB") }
        let database = UnsafeMutablePointer<MMDB_s>.allocate(capacity: 1)
        let status = MMDB_open(url.path, UInt32(MMDB_MODE_MMAP), database)
        guard status == MMDB_SUCCESS else {
            database.deallocate()
            throw MMDBError(status: status, context: "`\(url.path)`")
        }
        self.database = database
        metadata = MMDBMetadata(database.pointee.metadata)
    }

    /// Opens a database from its bytes (written to a private temporary file, mapped, then unlinked).
    ///
    /// - Throws: ``MMDBError`` as for ``init(contentsOf:)``.
    public convenience init(bytes: [UInt8]) throws {
        var template = Array((NSTemporaryDirectory() + "/riskgate-mmdb-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw MMDBError(.io, "cannot create a temporary file: \(String(cString: strerror(errno)))") }
        let path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        defer { unlink(path) }
        let written = bytes.withUnsafeBytes { raw -> Bool in
            var offset = 0
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n <= 0 { if n < 0 && errno == EINTR { continue }; return false }
                offset += n
            }
            return true
        }
        close(fd)
        guard written else { throw MMDBError(.io, "cannot write a temporary file") }
        try self.init(contentsOf: URL(fileURLWithPath: path))
    }

    deinit {
        MMDB_close(database)
        database.deallocate()
    }

    /// The record stored for `ip`; nil when the database holds none (or, for an IPv4-only
    /// database, when `ip` is IPv6).
    ///
    /// - Throws: ``MMDBError`` (`corrupt`) when the search tree is damaged.
    public func record(for ip: IPAddress) throws -> MMDBRecord? {
        var status: Int32 = 0
        let result = Self.withSocketAddress(ip) { MMDB_lookup_sockaddr(database, $0, &status) }
        if status == MMDB_IPV6_LOOKUP_IN_IPV4_DATABASE_ERROR { return nil }
        guard status == MMDB_SUCCESS else { throw MMDBError(status: status, context: "lookup of \(ip)") }
        guard result.found_entry else { return nil }
        return MMDBRecord(reader: self, entry: result.entry)
    }

    /// `ip` as the `sockaddr` libmaxminddb takes (no text round trip through `getaddrinfo`).
    private static func withSocketAddress<T>(_ ip: IPAddress, _ body: (UnsafePointer<sockaddr>) -> T) -> T {
        if ip.isV4 {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = UInt32(truncatingIfNeeded: ip.low).bigEndian
            return withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1, body) }
        }
        var address = sockaddr_in6()
        address.sin6_family = sa_family_t(AF_INET6)
        withUnsafeMutableBytes(of: &address.sin6_addr) { raw in
            withUnsafeBytes(of: ip.high.bigEndian) { raw.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: 8) }
            withUnsafeBytes(of: ip.low.bigEndian) { (raw.baseAddress! + 8).copyMemory(from: $0.baseAddress!, byteCount: 8) }
        }
        return withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1, body) }
    }
}

/// One record of an ``MMDBReader``, found by a lookup. It keeps its reader (and the mapping) alive.
public struct MMDBRecord: @unchecked Sendable {
    let reader: MMDBReader
    let entry: MMDB_entry_s

    /// Where the record starts in the data section: records shared by many networks share it.
    public var offset: Int { Int(entry.offset) }

    /// The value at `path` (map keys from the record's top), or nil when the record has none there.
    ///
    /// - Throws: ``MMDBError`` (`corrupt`) when the record is damaged.
    public func value(_ path: MMDBPath) throws -> MMDBValue? {
        var start = entry
        var data = MMDB_entry_data_s()
        let status = MMDB_aget_value(&start, &data, path.pointers)
        if status == MMDB_LOOKUP_PATH_DOES_NOT_MATCH_DATA_ERROR { return nil }
        guard status == MMDB_SUCCESS else { throw MMDBError(status: status, context: "record at offset \(entry.offset)") }
        guard data.has_data else { return nil }
        return MMDBValue(data)
    }
}
