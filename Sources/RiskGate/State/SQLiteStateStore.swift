import CSQLite
import Foundation
import RiskGateEngine
import RiskGatePolicy

/// The default store: one SQLite file in WAL mode (docs/state.md).
///
/// Durability: with `synchronous=NORMAL` (the default here) a committed transaction survives the
/// process being killed at any point (`kill -9`, a crash), because the WAL is written before
/// `commit(_:)` returns; a power loss or OS crash may lose the last transactions (never corrupt the
/// file). Choose ``Options/Synchronous/full`` to survive power loss too, at the cost of an fsync per commit.
///
/// Two connections: one writer thread commits every change, grouping the changes that arrive
/// together into one transaction (``SQLiteWriter``), and one reader serves lookups, so reads never
/// wait for a commit. Users' states are cached as written (``UserStateCache``): a user's next
/// request reads no row. A write by another process is noticed at the next commit (SQLite's
/// `data_version`), which empties the cache. Profile fields and lockout counters are real columns;
/// login history, devices, typing templates and model counts are one blob per user. Deleted rows
/// are overwritten (`secure_delete`), so a delivered OTP's code does not survive in free pages.
public final class SQLiteStateStore: StateStore, @unchecked Sendable {
    /// How to open the database.
    public struct Options: Sendable, Hashable {
        /// SQLite's `synchronous` setting.
        public enum Synchronous: String, Sendable, Hashable {
            /// Survives process crashes; may lose the latest commits on power loss.
            case normal = "NORMAL"
            /// Also survives power loss: fsync on every commit.
            case full = "FULL"
        }
        public var synchronous: Synchronous = .normal
        /// How long to wait for another process's write lock, in milliseconds.
        public var busyTimeoutMilliseconds = 5000
        /// Create the file when it does not exist.
        public var createIfMissing = true
        /// How many users' states to keep decoded in memory (0 turns the cache off).
        public var cachedUsers = 50_000
        public init() {}
    }

    /// The keys that protect this database's secrets and authenticate its audit records.
    public let secrets: SecretsKeyring
    private let readLock = NSLock()
    private let reader: SQLiteConnection
    private let writer: SQLiteWriter
    private let checkpointer: SQLiteCheckpointer
    private let cache: UserStateCache
    public let path: String

    /// Opens (and creates or migrates) the database at `path`.
    ///
    /// - Parameter secrets: the keys for its secrets and audit records; `nil` uses the key file
    ///   beside the database (``SecretsKeyFile/defaultPath(forDatabase:)``), created together with
    ///   a new database (an existing database without its key file is refused: a new key would
    ///   silently make its secrets unverifiable).
    /// - Throws: ``StoreError`` (`.notFound`, `.corrupt` for a file that is not a RiskGate database,
    ///   `.schema` for one written by a newer version, `.io`, `.busy`, `.secrets` for an unusable key file).
    public init(path: String, options: Options = Options(), secrets: SecretsKeyring? = nil) throws {
        self.path = path
        let isNew = !FileManager.default.fileExists(atPath: path)
        let connection = try SQLiteConnection(path: path, create: options.createIfMissing)
        try connection.execute("PRAGMA busy_timeout = \(max(0, options.busyTimeoutMilliseconds))")
        try connection.execute("PRAGMA journal_mode = WAL")
        try connection.execute("PRAGMA synchronous = \(options.synchronous.rawValue)")
        try connection.execute("PRAGMA foreign_keys = ON")
        try connection.execute("PRAGMA secure_delete = ON")
        // Upserts of users' rows read their B-tree pages: keep a working set in memory (64 MiB).
        try connection.execute("PRAGMA cache_size = -65536")
        // Checkpoints run on their own thread (`SQLiteCheckpointer`); the writer's only past a backstop.
        try connection.execute("PRAGMA wal_autocheckpoint = \(SQLiteCheckpointer.backstopPages)")
        try Self.migrate(connection, path: path)
        if let secrets {
            self.secrets = secrets
        } else {
            let keyPath = SecretsKeyFile.defaultPath(forDatabase: path)
            do {
                self.secrets = isNew ? try SecretsKeyFile.loadOrCreate(path: keyPath) : try SecretsKeyFile.load(path: keyPath)
            } catch {
                throw StoreError(code: .secrets, message: error.description, path: path)
            }
        }
        reader = try SQLiteConnection(path: path, create: false)
        try reader.execute("PRAGMA busy_timeout = \(max(0, options.busyTimeoutMilliseconds))")
        try reader.execute("PRAGMA cache_size = -16384")
        cache = UserStateCache(capacity: options.cachedUsers)
        checkpointer = try SQLiteCheckpointer(path: path)
        writer = SQLiteWriter(connection: connection, cache: cache, path: path, auditKey: self.secrets.current,
                              checkpointer: checkpointer)
        writer.start()
    }

    deinit {
        writer.stop()
        checkpointer.stop()
        reader.close()
    }

    /// The schema version this program writes.
    public static var schemaVersion: Int { SQLiteSchema.migrations.count }

    /// Brings the database on `connection` to the last of `migrations` (tests pass a longer list,
    /// as a later version of the program would), refusing one from a newer version.
    static func migrate(_ connection: SQLiteConnection, path: String, migrations: [String] = SQLiteSchema.migrations) throws {
        let versionStatement = try connection.prepare("PRAGMA user_version")
        let version = try versionStatement.step() ? Int(versionStatement.int64(0) ?? 0) : 0
        try versionStatement.run()
        let target = migrations.count
        if version > target {
            throw StoreError(code: .schema, message: "database schema version \(version) is newer than this program's (\(target))", path: path)
        }
        if version == 0 {
            let tables = try connection.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table'")
            let count = try tables.step() ? tables.int64(0) ?? 0 : 0
            try tables.run()
            if count > 0 {
                throw StoreError(code: .corrupt, message: "not a riskgate database (it has other tables and no riskgate schema version)", path: path)
            }
        }
        // A migration may rebuild a table (SQLite's way to change one): with foreign keys on,
        // dropping the old `users` would cascade into `challenges`. Off for the migrations (it cannot change
        // inside a transaction), checked after each, on again at the end.
        if version < target { try connection.execute("PRAGMA foreign_keys = OFF") }
        defer { if version < target { try? connection.execute("PRAGMA foreign_keys = ON") } }
        for index in version..<target {
            try connection.execute("BEGIN IMMEDIATE")
            do {
                try connection.execute(migrations[index])
                let violations = try connection.prepare("PRAGMA foreign_key_check")
                let violated = try violations.step()
                violations.reset()
                if violated { throw StoreError(code: .schema, message: "foreign keys broken", path: path) }
                try connection.execute("PRAGMA user_version = \(index + 1)")
                try connection.execute("COMMIT")
            } catch {
                try? connection.execute("ROLLBACK")
                throw StoreError(code: .schema, message: "migration \(index + 1) failed: \(error)", path: path)
            }
        }
        let check = try connection.prepare(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('users', 'challenges', 'outbox', 'audit', 'audit_head', 'blobs', 'dead_letters')")
        let found = try check.step() ? check.int64(0) ?? 0 : 0
        try check.run()
        guard found == 7 else {
            throw StoreError(code: .corrupt, message: "not a riskgate database (tables missing)", path: path)
        }
    }

    // MARK: - Reads

    public func loadUser(_ user: String) throws -> UserState? {
        if let cached = cache.lookup(user) { return cached }
        let state = try readLock.withLock { () throws -> UserState? in
            let s = try reader.prepare("SELECT \(SQLiteUserRow.columns) FROM users WHERE user = ?")
            defer { s.reset() }
            s.bind(1, user)
            guard try s.step() else { return nil }
            let state = try SQLiteUserRow.decode(s, path: path)
            try s.run()
            return state
        }
        cache.remember(user, state)
        return state
    }

    public func loadChallenge(_ id: String) throws -> Challenge? {
        try readLock.withLock {
            let s = try reader.prepare("SELECT record FROM challenges WHERE id = ?")
            defer { s.reset() }
            s.bind(1, id)
            guard try s.step() else { return nil }
            let text = s.string(0) ?? ""
            try s.run()
            do { return try Challenge(json: text) } catch {
                throw StoreError(code: .corrupt, message: "cannot decode `challenges.record`: \(error)", path: path)
            }
        }
    }

    public func loadBlob(_ key: String) throws -> Data? {
        try readLock.withLock {
            let s = try reader.prepare("SELECT value FROM blobs WHERE key = ?")
            defer { s.reset() }
            s.bind(1, key)
            guard try s.step() else { return nil }
            let value = s.data(0)
            try s.run()
            return value
        }
    }

    // MARK: - Commit

    public func commit(_ change: StateChange) throws {
        try beginCommit(change).wait()
    }

    /// Queues `change` for the writer thread, which commits it with whatever else is queued.
    public func beginCommit(_ change: StateChange) -> PendingCommit {
        if change.isEmpty { return PendingCommit(finished: .success(())) }
        do {
            return writer.submit(try SQLiteWriter.PreparedChange(change, path: path))
        } catch {
            return PendingCommit(finished: .failure(error))
        }
    }

    // MARK: - Audit and outbox

    public func auditEntries() throws -> [AuditRecord] {
        var all: [AuditRecord] = []
        var after: Int64 = Int64.min
        while true {
            let page = try auditEntries(after: after, limit: 10_000)
            all += page
            guard page.count == 10_000, let last = page.last else { return all }
            after = last.id
        }
    }

    public func auditEntries(after id: Int64, limit: Int) throws -> [AuditRecord] {
        try readLock.withLock {
            let s = try reader.prepare("""
                SELECT id, time, kind, user, policy_hash, outcome, rules, signals, method, result, reference, prev_hash, hash, key_id
                FROM audit WHERE id > ? ORDER BY id LIMIT ?
                """)
            s.bind(1, id)
            s.bind(2, Int64(max(0, limit)))
            var records: [AuditRecord] = []
            while try s.step() {
                records.append(AuditRecord(
                    id: s.int64(0) ?? 0, time: s.string(1) ?? "", kind: s.string(2) ?? "", user: s.string(3) ?? "",
                    policyHash: s.string(4), outcome: s.string(5), rules: s.string(6) ?? "", signals: s.string(7) ?? "",
                    method: s.string(8), result: s.string(9), reference: s.string(10),
                    prevHash: s.string(11) ?? "", keyID: s.string(13) ?? "", hash: s.string(12) ?? ""))
            }
            return records
        }
    }

    /// Uses the partial index on decision records' `reference` (`audit_decision_reference`), so it costs one index lookup.
    public func decisionUser(_ id: String) throws -> String? {
        try readLock.withLock {
            let s = try reader.prepare("SELECT user FROM audit WHERE reference = ? AND kind = 'decision' LIMIT 1")
            defer { s.reset() }
            s.bind(1, id)
            guard try s.step() else { return nil }
            let user = s.string(0)
            try s.run()
            return user
        }
    }

    public func auditHead() throws -> (id: Int64, hash: String)? {
        try readLock.withLock { try reader.auditHead() }
    }

    public func auditCheckpoint() throws -> AuditCheckpoint? {
        try readLock.withLock {
            let s = try reader.prepare("SELECT through_id, hash, time, key_id, tag FROM audit_checkpoint WHERE singleton = 1")
            defer { s.reset() }
            guard try s.step() else { return nil }
            return AuditCheckpoint(throughID: s.int64(0) ?? 0, hash: s.string(1) ?? "", time: s.string(2) ?? "",
                                   keyID: s.string(3) ?? "", tag: s.string(4) ?? "")
        }
    }

    /// Writes the checkpoint, then deletes the records it covers (the delete trigger allows only
    /// those), in one transaction on the writer's connection; then truncates the WAL so the
    /// deleted records' pages do not linger in it.
    public func pruneAudit(through id: Int64, at time: Date) throws -> AuditCheckpoint {
        try writer.connectionLock.withLock {
            let connection = writer.connection
            var made: AuditCheckpoint?
            try connection.transaction {
                let find = try connection.prepare("SELECT hash FROM audit WHERE id = ?")
                find.bind(1, id)
                guard try find.step(), let hash = find.string(0) else {
                    throw StoreError(code: .notFound, message: "audit record \(id) does not exist (or was pruned already)", path: path)
                }
                try find.run()
                let checkpoint = AuditCheckpoint(throughID: id, hash: hash, time: Timestamp.format(time), key: secrets.current)
                let write = try connection.prepare("""
                    INSERT INTO audit_checkpoint (singleton, through_id, hash, time, key_id, tag) VALUES (1, ?, ?, ?, ?, ?)
                    ON CONFLICT(singleton) DO UPDATE SET through_id = excluded.through_id, hash = excluded.hash,
                        time = excluded.time, key_id = excluded.key_id, tag = excluded.tag
                    """)
                write.bind(1, checkpoint.throughID)
                write.bind(2, checkpoint.hash)
                write.bind(3, checkpoint.time)
                write.bind(4, checkpoint.keyID)
                write.bind(5, checkpoint.tag)
                try write.run()
                let delete = try connection.prepare("DELETE FROM audit WHERE id <= ?")
                delete.bind(1, id)
                try delete.run()
                made = checkpoint
            }
            try? connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            guard let made else { throw StoreError(code: .sql, message: "audit prune wrote no checkpoint", path: path) }
            return made
        }
    }

    public func outbox(limit: Int) throws -> [OutboxMessage] {
        try readLock.withLock {
            let s = try reader.prepare(
                "SELECT \(Self.messageColumns), attempts, next_attempt FROM outbox ORDER BY id LIMIT ?")
            s.bind(1, Int64(max(0, limit)))
            var messages: [OutboxMessage] = []
            while try s.step() {
                var message = Self.message(s)
                message.attempts = Int(s.int64(8) ?? 0)
                message.nextAttempt = s.double(9).map(Date.init(timeIntervalSince1970:))
                messages.append(message)
            }
            return messages
        }
    }

    /// The columns ``message(_:)`` reads, shared by `outbox` and `dead_letters`.
    private static let messageColumns = "id, created, kind, channel, user, destination, challenge, body"

    /// The message in the first eight columns of a row (``messageColumns``).
    private static func message(_ s: SQLiteConnection.Statement) -> OutboxMessage {
        OutboxMessage(
            id: s.int64(0), created: Date(timeIntervalSince1970: s.double(1) ?? 0), kind: s.string(2) ?? "",
            channel: s.string(3) ?? "", user: s.string(4) ?? "", destination: s.string(5),
            challenge: s.string(6), body: s.string(7) ?? "")
    }

    public func deferOutbox(_ id: Int64, attempts: Int, nextAttempt: Date) throws {
        try writer.connectionLock.withLock {
            let s = try writer.connection.prepare("UPDATE outbox SET attempts = ?, next_attempt = ? WHERE id = ?")
            s.bind(1, Int64(attempts))
            s.bind(2, nextAttempt.timeIntervalSince1970)
            s.bind(3, id)
            try s.run()
        }
    }

    public func deadLetterOutbox(_ id: Int64, attempts: Int, reason: String, at time: Date) throws {
        try writer.connectionLock.withLock {
            let connection = writer.connection
            try connection.transaction {
                let move = try connection.prepare("""
                    INSERT INTO dead_letters (\(Self.messageColumns), attempts, reason, dead_at)
                    SELECT \(Self.messageColumns), ?, ?, ? FROM outbox WHERE id = ?
                    """)
                move.bind(1, Int64(attempts))
                move.bind(2, reason)
                move.bind(3, time.timeIntervalSince1970)
                move.bind(4, id)
                try move.run()
                let delete = try connection.prepare("DELETE FROM outbox WHERE id = ?")
                delete.bind(1, id)
                try delete.run()
            }
        }
    }

    public func deadLetters(limit: Int) throws -> [DeadLetter] {
        try readLock.withLock {
            let s = try reader.prepare(
                "SELECT \(Self.messageColumns), attempts, reason, dead_at FROM dead_letters ORDER BY id LIMIT ?")
            s.bind(1, Int64(max(0, limit)))
            var letters: [DeadLetter] = []
            while try s.step() {
                var message = Self.message(s)
                message.attempts = Int(s.int64(8) ?? 0)
                letters.append(DeadLetter(message: message, reason: s.string(9) ?? "",
                                          time: Date(timeIntervalSince1970: s.double(10) ?? 0)))
            }
            return letters
        }
    }

    /// The outbox's `AUTOINCREMENT` never hands an id out twice, so a message goes back under its own.
    public func retryDeadLetters(_ ids: [Int64]?) throws -> [Int64] {
        try writer.connectionLock.withLock {
            let connection = writer.connection
            var moved: [Int64] = []
            try connection.transaction {
                moved = []
                let filter = ids == nil ? "" : "WHERE id IN (SELECT value FROM json_each(?))"
                let list = try connection.prepare("SELECT id FROM dead_letters \(filter) ORDER BY id")
                if let ids { list.bind(1, "[" + ids.map(String.init).joined(separator: ",") + "]") }
                while try list.step() { if let id = list.int64(0) { moved.append(id) } }
                list.reset()
                for id in moved {
                    let back = try connection.prepare("""
                        INSERT INTO outbox (\(Self.messageColumns), attempts, next_attempt)
                        SELECT \(Self.messageColumns), 0, NULL FROM dead_letters WHERE id = ?
                        """)
                    back.bind(1, id)
                    try back.run()
                    let delete = try connection.prepare("DELETE FROM dead_letters WHERE id = ?")
                    delete.bind(1, id)
                    try delete.run()
                }
            }
            return moved
        }
    }

    /// Deletes delivered messages, then checkpoints and truncates the WAL so no copy of a code remains.
    public func removeOutbox(_ ids: [Int64]) throws {
        guard !ids.isEmpty else { return }
        try writer.connectionLock.withLock {
            let connection = writer.connection
            try connection.transaction {
                for id in ids {
                    let s = try connection.prepare("DELETE FROM outbox WHERE id = ?")
                    s.bind(1, id)
                    try s.run()
                }
            }
            // Best effort: a concurrent reader can keep old frames alive until the next checkpoint.
            try? connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        }
    }

    /// Copies the WAL into the database file and truncates it (e.g. before a backup).
    public func checkpoint() throws {
        try writer.connectionLock.withLock { try writer.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)") }
    }
}
