import CSQLite
import Foundation

/// One SQLite connection with a prepared-statement cache. Not thread-safe: its owner serialises use.
final class SQLiteConnection {
    private var db: OpaquePointer?
    private var statements: [String: OpaquePointer] = [:]
    /// Statements of ``cached(_:)``, by the address of their SQL literal.
    private var literalStatements: [UnsafeRawPointer: OpaquePointer] = [:]
    let path: String

    init(path: String, create: Bool) throws {
        self.path = path
        if !create, !FileManager.default.fileExists(atPath: path) {
            throw StoreError(code: .notFound, message: "no database file", path: path)
        }
        if create { Self.createPrivately(path) }
        var flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX
        if create { flags |= SQLITE_OPEN_CREATE }
        var handle: OpaquePointer?
        let rc = sqlite3_open_v2(path, &handle, flags, nil)
        db = handle
        guard rc == SQLITE_OK else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            sqlite3_close_v2(handle)
            db = nil
            throw StoreError(code: rc == SQLITE_CANTOPEN ? .open : Self.code(for: rc), message: message.lowercased(), path: path)
        }
        sqlite3_extended_result_codes(handle, 1)
    }

    deinit { close() }

    /// Creates an empty file at `path` with mode 0600 when none exists, and takes group and other
    /// permissions away from an existing database and its WAL and shared-memory files. SQLite
    /// creates the `-wal` and `-shm` files with the database's mode, so all three stay private:
    /// the database holds encrypted secrets, hashes and personal data.
    private static func createPrivately(_ path: String) {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        if fd >= 0 { Foundation.close(fd) }
        for file in [path, path + "-wal", path + "-shm"] {
            var info = stat()
            if stat(file, &info) == 0, info.st_mode & 0o077 != 0, info.st_uid == getuid() {
                chmod(file, info.st_mode & 0o700)
            }
        }
    }

    /// Finalizes the statements and closes the connection now (the last connection to close
    /// checkpoints the WAL); later use fails as a closed database. Idempotent.
    func close() {
        for statement in statements.values { sqlite3_finalize(statement) }
        for statement in literalStatements.values { sqlite3_finalize(statement) }
        statements = [:]
        literalStatements = [:]
        if let db { sqlite3_close_v2(db) }
        db = nil
    }

    static func code(for rc: Int32) -> StoreError.Code {
        switch rc & 0xff {
        case SQLITE_CORRUPT, SQLITE_NOTADB: .corrupt
        case SQLITE_BUSY, SQLITE_LOCKED: .busy
        case SQLITE_IOERR, SQLITE_FULL, SQLITE_PERM, SQLITE_CANTOPEN: .io
        case SQLITE_READONLY: .readOnly
        default: .sql
        }
    }

    func error(_ rc: Int32, _ context: String) -> StoreError {
        let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "error \(rc)"
        return StoreError(code: Self.code(for: rc), message: "\(context): \(message.lowercased())", path: path)
    }

    /// Runs SQL without results (may hold several statements).
    func execute(_ sql: String) throws {
        var message: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(db, sql, nil, nil, &message)
        if rc != SQLITE_OK {
            let text = message.map { String(cString: $0) } ?? "error \(rc)"
            sqlite3_free(message)
            throw StoreError(code: Self.code(for: rc), message: "\(sql.prefix(60)): \(text.lowercased())", path: path)
        }
    }

    /// A cached prepared statement, reset and with bindings cleared.
    func prepare(_ sql: String) throws -> Statement {
        if let handle = statements[sql] { return reused(handle) }
        let handle = try compile(sql)
        statements[sql] = handle
        return Statement(handle: handle, connection: self)
    }

    /// Like ``prepare(_:)`` for SQL written in the source, found by the literal's address: the hot
    /// statements of the writer's batches are looked up without hashing their text.
    func cached(_ sql: StaticString) throws -> Statement {
        let key = UnsafeRawPointer(sql.utf8Start)
        if let handle = literalStatements[key] { return reused(handle) }
        let handle = try compile(sql.withUTF8Buffer { String(decoding: $0, as: UTF8.self) })
        literalStatements[key] = handle
        return Statement(handle: handle, connection: self)
    }

    /// A cached statement ready for another use.
    private func reused(_ handle: OpaquePointer) -> Statement {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        return Statement(handle: handle, connection: self)
    }

    /// Prepares `sql` to be kept and reused.
    private func compile(_ sql: String) throws -> OpaquePointer {
        var handle: OpaquePointer?
        let rc = sqlite3_prepare_v3(db, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &handle, nil)
        guard rc == SQLITE_OK, let handle else { throw error(rc, "prepare") }
        return handle
    }

    var changes: Int { Int(sqlite3_changes(db)) }

    /// Runs `body` in a `BEGIN IMMEDIATE` transaction and commits; rolls back on any error.
    func transaction(_ body: () throws -> Void) throws {
        try cached("BEGIN IMMEDIATE").run()
        do {
            try body()
            try cached("COMMIT").run()
        } catch {
            try? cached("ROLLBACK").run()
            throw error
        }
    }

    /// The audit log's recorded head (last id and hash), or `nil` before the first record.
    func auditHead() throws -> (id: Int64, hash: String)? {
        let s = try cached("SELECT last_id, hash FROM audit_head WHERE singleton = 1")
        defer { s.reset() }
        guard try s.step(), let id = s.int64(0), let hash = s.string(1) else { return nil }
        try s.run()
        return (id, hash)
    }

    /// One use of a prepared statement.
    struct Statement {
        let handle: OpaquePointer
        let connection: SQLiteConnection
        private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

        /// Binds text by its byte count, so the stored value is the whole string: a NUL inside it
        /// neither cuts it short nor lets it alias a shorter one.
        func bind(_ index: Int32, _ value: String?) {
            guard var value else { sqlite3_bind_null(handle, index); return }
            value.withUTF8 { utf8 in
                _ = sqlite3_bind_text(handle, index, utf8.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) },
                                      Int32(utf8.count), Self.transient)
            }
        }
        func bind(_ index: Int32, _ value: Double?) {
            if let value { sqlite3_bind_double(handle, index, value) } else { sqlite3_bind_null(handle, index) }
        }
        func bind(_ index: Int32, _ value: Int64?) {
            if let value { sqlite3_bind_int64(handle, index, value) } else { sqlite3_bind_null(handle, index) }
        }
        func bind(_ index: Int32, _ value: Data?) {
            guard let value else { sqlite3_bind_null(handle, index); return }
            value.withUnsafeBytes { raw in
                _ = sqlite3_bind_blob(handle, index, raw.baseAddress, Int32(raw.count), Self.transient)
            }
        }

        /// Steps once; `true` when a row is available.
        func step() throws -> Bool {
            let rc = sqlite3_step(handle)
            switch rc {
            case SQLITE_ROW: return true
            case SQLITE_DONE: return false
            default:
                sqlite3_reset(handle)
                throw connection.error(rc, "step")
            }
        }

        /// Ends the statement's read, so an early exit never holds a snapshot open.
        func reset() { sqlite3_reset(handle) }

        /// Runs to completion.
        func run() throws { while try step() {} }

        func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }
        /// The column's text, every byte of it (NULs included; invalid UTF-8 repaired).
        func string(_ column: Int32) -> String? {
            guard let text = sqlite3_column_text(handle, column) else { return nil }
            let count = Int(sqlite3_column_bytes(handle, column))
            return String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)
        }
        func double(_ column: Int32) -> Double? { isNull(column) ? nil : sqlite3_column_double(handle, column) }
        func int64(_ column: Int32) -> Int64? { isNull(column) ? nil : sqlite3_column_int64(handle, column) }
        func data(_ column: Int32) -> Data? {
            guard !isNull(column) else { return nil }
            let count = Int(sqlite3_column_bytes(handle, column))
            guard count > 0, let bytes = sqlite3_column_blob(handle, column) else { return Data() }
            return Data(bytes: bytes, count: count)
        }
    }
}
