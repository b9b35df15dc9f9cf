import CSQLite
import Foundation

/// The default store: one SQLite file in WAL mode (SPEC §5).
///
/// Durability: with `synchronous=NORMAL` (the default here) a committed transaction survives the
/// process being killed at any point (`kill -9`, a crash), because the WAL is written before
/// `commit(_:)` returns; a power loss or OS crash may lose the last transactions (never corrupt the
/// file). Choose ``Options/Synchronous/full`` to survive power loss too, at the cost of an fsync per commit.
///
/// One connection, serialised by a lock; prepared statements are cached. Profile fields and lockout
/// counters are real columns; login history, devices, typing templates and model counts are one
/// JSON blob per user. Deleted rows are overwritten (`secure_delete`), so a delivered OTP's code
/// does not survive in free pages.
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
        public init() {}
    }

    private let lock = NSLock()
    private let connection: SQLiteConnection
    private let encoder: JSONEncoder
    private let decoder = JSONDecoder()
    public let path: String

    /// Opens (and creates or migrates) the database at `path`.
    ///
    /// - Throws: ``StoreError`` (`.notFound`, `.corrupt` for a file that is not a RiskGate database,
    ///   `.schema` for one written by a newer version, `.io`, `.busy`).
    public init(path: String, options: Options = Options()) throws {
        self.path = path
        connection = try SQLiteConnection(path: path, create: options.createIfMissing)
        encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try connection.execute("PRAGMA busy_timeout = \(max(0, options.busyTimeoutMilliseconds))")
        try connection.execute("PRAGMA journal_mode = WAL")
        try connection.execute("PRAGMA synchronous = \(options.synchronous.rawValue)")
        try connection.execute("PRAGMA foreign_keys = ON")
        try connection.execute("PRAGMA secure_delete = ON")
        try migrate()
    }

    /// The schema version this program writes.
    public static var schemaVersion: Int { SQLiteSchema.migrations.count }

    private func migrate() throws {
        let versionStatement = try connection.prepare("PRAGMA user_version")
        let version = try versionStatement.step() ? Int(versionStatement.int64(0) ?? 0) : 0
        try versionStatement.run()
        let target = SQLiteSchema.migrations.count
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
        for index in version..<target {
            try connection.execute("BEGIN IMMEDIATE")
            do {
                try connection.execute(SQLiteSchema.migrations[index])
                try connection.execute("PRAGMA user_version = \(index + 1)")
                try connection.execute("COMMIT")
            } catch {
                try? connection.execute("ROLLBACK")
                throw StoreError(code: .schema, message: "migration \(index + 1) failed: \(error)", path: path)
            }
        }
        let check = try connection.prepare(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('users', 'challenges', 'outbox', 'audit', 'audit_head', 'blobs')")
        let found = try check.step() ? check.int64(0) ?? 0 : 0
        try check.run()
        guard found == 6 else {
            throw StoreError(code: .corrupt, message: "not a riskgate database (tables missing)", path: path)
        }
    }

    // MARK: - Reads

    public func loadUser(_ user: String) throws -> UserState? {
        try lock.withLock {
            let s = try connection.prepare("""
                SELECT known, home_country, phone, email, created_at, kba, partial_secret, trusted_devices,
                       failures, locked_until, lockouts, banned, history FROM users WHERE user = ?
                """)
            defer { s.reset() }
            s.bind(1, user)
            guard try s.step() else { return nil }
            var state = UserState()
            var profile = AccountProfile()
            profile.known = s.int64(0) == 1
            profile.homeCountry = s.string(1)
            profile.phone = s.string(2)
            profile.email = s.string(3)
            profile.createdAt = s.double(4).map { Date(timeIntervalSince1970: $0) }
            profile.kba = try decode([KBAAnswer].self, s.string(5), "users.kba")
            profile.partialSecret = try decode([SecretCharacterHash].self, s.string(6), "users.partial_secret")
            profile.trustedDevices = try decode([String].self, s.string(7), "users.trusted_devices")
            state.profile = profile
            state.failures = try decode([Double].self, s.string(8), "users.failures").map { Date(timeIntervalSince1970: $0) }
            state.lockedUntil = s.double(9).map { Date(timeIntervalSince1970: $0) }
            state.lockouts = Int(s.int64(10) ?? 0)
            state.banned = s.int64(11) == 1
            if let blob = s.data(12), !blob.isEmpty {
                let history = try decodeData(UserHistory.self, blob, "users.history")
                state.logins = history.logins
                state.devices = history.devices
                state.typing = history.typing
                state.model = history.model
            }
            try s.run()
            return state
        }
    }

    public func loadChallenge(_ id: String) throws -> Challenge? {
        try lock.withLock {
            let s = try connection.prepare("SELECT record FROM challenges WHERE id = ?")
            defer { s.reset() }
            s.bind(1, id)
            guard try s.step() else { return nil }
            let record = try decode(Challenge.self, s.string(0), "challenges.record")
            try s.run()
            return record
        }
    }

    public func loadBlob(_ key: String) throws -> Data? {
        try lock.withLock {
            let s = try connection.prepare("SELECT value FROM blobs WHERE key = ?")
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
        if change.isEmpty { return }
        try lock.withLock {
            try transaction {
                for (id, state) in change.users { try writeUser(id, state) }
                for challenge in change.challenges { try writeChallenge(challenge) }
                for message in change.outbox { try writeOutbox(message) }
                for (key, value) in change.blobs {
                    let s = try connection.prepare("INSERT INTO blobs (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
                    s.bind(1, key)
                    s.bind(2, value)
                    try s.run()
                }
                if !change.audit.isEmpty { try appendAudit(change.audit) }
            }
        }
    }

    /// Runs `body` in a `BEGIN IMMEDIATE` transaction; rolls back on any error.
    private func transaction(_ body: () throws -> Void) throws {
        try connection.execute("BEGIN IMMEDIATE")
        do {
            try body()
            try connection.execute("COMMIT")
        } catch {
            try? connection.execute("ROLLBACK")
            throw error
        }
    }

    private func writeUser(_ id: String, _ state: UserState) throws {
        let s = try connection.prepare("""
            INSERT INTO users (user, known, home_country, phone, email, created_at, kba, partial_secret,
                               trusted_devices, failures, locked_until, lockouts, banned, history)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(user) DO UPDATE SET known = excluded.known, home_country = excluded.home_country,
                phone = excluded.phone, email = excluded.email, created_at = excluded.created_at, kba = excluded.kba,
                partial_secret = excluded.partial_secret, trusted_devices = excluded.trusted_devices,
                failures = excluded.failures, locked_until = excluded.locked_until, lockouts = excluded.lockouts,
                banned = excluded.banned, history = excluded.history
            """)
        let p = state.profile
        s.bind(1, id)
        s.bind(2, Int64(p.known ? 1 : 0))
        s.bind(3, p.homeCountry)
        s.bind(4, p.phone)
        s.bind(5, p.email)
        s.bind(6, p.createdAt?.timeIntervalSince1970)
        s.bind(7, try encodeText(p.kba))
        s.bind(8, try encodeText(p.partialSecret))
        s.bind(9, try encodeText(p.trustedDevices))
        s.bind(10, try encodeText(state.failures.map(\.timeIntervalSince1970)))
        s.bind(11, state.lockedUntil?.timeIntervalSince1970)
        s.bind(12, Int64(state.lockouts))
        s.bind(13, Int64(state.banned ? 1 : 0))
        let history = UserHistory(logins: state.logins, devices: state.devices, typing: state.typing, model: state.model)
        s.bind(14, try encodeData(history))
        try s.run()
    }

    private func writeChallenge(_ challenge: Challenge) throws {
        let read = try connection.prepare("SELECT revision FROM challenges WHERE id = ?")
        read.bind(1, challenge.id)
        let stored = try read.step() ? read.int64(0).map(Int.init) : nil
        try read.run()
        let storedRevision = stored ?? -1
        guard challenge.revision == storedRevision + 1 else {
            throw StoreError(code: .conflict, message: "challenge `\(challenge.id)` changed concurrently (stored revision \(storedRevision), writing \(challenge.revision))", path: path)
        }
        let ensureUser = try connection.prepare("INSERT OR IGNORE INTO users (user) VALUES (?)")
        ensureUser.bind(1, challenge.user)
        try ensureUser.run()
        let s = try connection.prepare("""
            INSERT INTO challenges (id, user, created, state, revision, record) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT(id) DO UPDATE SET state = excluded.state, revision = excluded.revision, record = excluded.record
            """)
        s.bind(1, challenge.id)
        s.bind(2, challenge.user)
        s.bind(3, challenge.created.timeIntervalSince1970)
        s.bind(4, challenge.state.rawValue)
        s.bind(5, Int64(challenge.revision))
        s.bind(6, try encodeText(challenge))
        try s.run()
    }

    private func writeOutbox(_ m: OutboxMessage) throws {
        let s = try connection.prepare(
            "INSERT INTO outbox (created, kind, channel, user, destination, challenge, body) VALUES (?, ?, ?, ?, ?, ?, ?)")
        s.bind(1, m.created.timeIntervalSince1970)
        s.bind(2, m.kind)
        s.bind(3, m.channel)
        s.bind(4, m.user)
        s.bind(5, m.destination)
        s.bind(6, m.challenge)
        s.bind(7, m.body)
        try s.run()
    }

    /// Appends and chains audit records after the recorded head, inside the caller's transaction.
    private func appendAudit(_ events: [AuditEvent]) throws {
        var (lastID, lastHash) = try readHead() ?? (0, AuditRecord.genesisHash)
        let insert = """
            INSERT INTO audit (id, time, kind, user, policy_hash, outcome, rules, signals, method, result, reference, prev_hash, hash)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """
        for event in events {
            let r = AuditRecord(id: lastID + 1, event: event, prevHash: lastHash)
            let s = try connection.prepare(insert)
            s.bind(1, r.id); s.bind(2, r.time); s.bind(3, r.kind); s.bind(4, r.user); s.bind(5, r.policyHash)
            s.bind(6, r.outcome); s.bind(7, r.rules); s.bind(8, r.signals); s.bind(9, r.method); s.bind(10, r.result)
            s.bind(11, r.reference); s.bind(12, r.prevHash); s.bind(13, r.hash)
            try s.run()
            lastID = r.id
            lastHash = r.hash
        }
        let head = try connection.prepare(
            "INSERT INTO audit_head (singleton, last_id, hash) VALUES (1, ?, ?) ON CONFLICT(singleton) DO UPDATE SET last_id = excluded.last_id, hash = excluded.hash")
        head.bind(1, lastID)
        head.bind(2, lastHash)
        try head.run()
    }

    private func readHead() throws -> (Int64, String)? {
        let s = try connection.prepare("SELECT last_id, hash FROM audit_head WHERE singleton = 1")
        defer { s.reset() }
        guard try s.step(), let id = s.int64(0), let hash = s.string(1) else { return nil }
        try s.run()
        return (id, hash)
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
        try lock.withLock {
            let s = try connection.prepare("""
                SELECT id, time, kind, user, policy_hash, outcome, rules, signals, method, result, reference, prev_hash, hash
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
                    prevHash: s.string(11) ?? "", hash: s.string(12) ?? ""))
            }
            return records
        }
    }

    public func auditHead() throws -> (id: Int64, hash: String)? {
        try lock.withLock { try readHead().map { (id: $0.0, hash: $0.1) } }
    }

    public func outbox(limit: Int) throws -> [OutboxMessage] {
        try lock.withLock {
            let s = try connection.prepare(
                "SELECT id, created, kind, channel, user, destination, challenge, body FROM outbox ORDER BY id LIMIT ?")
            s.bind(1, Int64(max(0, limit)))
            var messages: [OutboxMessage] = []
            while try s.step() {
                messages.append(OutboxMessage(
                    id: s.int64(0), created: Date(timeIntervalSince1970: s.double(1) ?? 0), kind: s.string(2) ?? "",
                    channel: s.string(3) ?? "", user: s.string(4) ?? "", destination: s.string(5),
                    challenge: s.string(6), body: s.string(7) ?? ""))
            }
            return messages
        }
    }

    /// Deletes delivered messages, then checkpoints and truncates the WAL so no copy of a code remains.
    public func removeOutbox(_ ids: [Int64]) throws {
        guard !ids.isEmpty else { return }
        try lock.withLock {
            try transaction {
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
        try lock.withLock { try connection.execute("PRAGMA wal_checkpoint(TRUNCATE)") }
    }

    // MARK: - Encoding

    private func encodeText<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try encodeData(value), as: UTF8.self)
    }

    private func encodeData<T: Encodable>(_ value: T) throws -> Data {
        do { return try encoder.encode(value) } catch {
            throw StoreError(code: .encoding, message: "cannot encode \(T.self): \(error)", path: path)
        }
    }

    private func decode<T: Decodable>(_ type: T.Type, _ text: String?, _ column: String) throws -> T {
        try decodeData(type, Data((text ?? "").utf8), column)
    }

    private func decodeData<T: Decodable>(_ type: T.Type, _ data: Data, _ column: String) throws -> T {
        do { return try decoder.decode(type, from: data) } catch {
            throw StoreError(code: .corrupt, message: "cannot decode `\(column)`: \(error)", path: path)
        }
    }
}

/// The per-user history kept as one blob: logins, devices, typing templates, model counts.
struct UserHistory: Codable {
    var logins: [LoginRecord]
    var devices: [DeviceRecord]
    var typing: [TypingTemplate]
    var model: UserModelCounts
}
