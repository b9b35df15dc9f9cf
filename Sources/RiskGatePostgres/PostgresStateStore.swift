import Foundation
import NIOCore
import PostgresNIO
import RiskGate
import RiskGateEngine

/// A state store on PostgreSQL, shared by any number of `riskgate serve` replicas and commands.
///
/// Consistency (docs/state.md): every ``commit(_:)`` is one transaction, acknowledged only after
/// PostgreSQL's `COMMIT` returned (with the server's default `synchronous_commit = on`, after its
/// WAL reached disk). A user's row carries a version; a commit writes the row only if it still has
/// the version the state was read at, otherwise it fails with `.conflict` and the engine reads the
/// newer state and decides again, so two replicas never both build on the same old state of one
/// user (failures counted on both add up to one lockout). Challenges are updated the same way, by
/// revision. No user state is cached in the process: every read sees the latest commit of any
/// replica. The audit log is one keyed hash chain per connection (``PostgresAuditChain``), so
/// replicas append in parallel. The login model's statistics are merged by addition
/// (``PostgresModelStats``).
///
/// Methods block the calling thread while PostgreSQL answers; do not call them on an event loop.
public final class PostgresStateStore: StateStore, @unchecked Sendable {
    /// How to connect.
    public struct Options: Sendable, Hashable {
        /// Most connections this process opens (and so most audit chains it extends at once).
        public var maxConnections = 16
        public init() {}
    }

    public let secrets: SecretsKeyring
    /// The database, without its password.
    public let location: PostgresLocation
    let pool: PostgresConnectionPool
    private let modelStats = PostgresModelStats()
    private let random: any RandomSource
    /// The `created` time of the OTP message that last swept expired codes (seconds since 1970).
    private let sweepLock = NSLock()
    private var outboxSweptAt = -Double.infinity
    static let outboxSweepInterval = 60.0

    /// Connects to the database at `url`, creating or migrating its schema.
    ///
    /// - Parameter secrets: the keys for secrets and audit records; required (a database has no
    ///   "beside it" for a key file). Every replica must use the same file.
    /// - Throws: ``StoreError`` (`.open` for a bad URL, `.io` when PostgreSQL cannot be reached,
    ///   `.schema` for a schema newer than this program or a failed migration).
    public init(url: String, secrets: SecretsKeyring, options: Options = Options(),
                random: any RandomSource = SystemRandomSource()) throws {
        location = try PostgresLocation(url: url)
        self.secrets = secrets
        self.random = random
        pool = PostgresConnectionPool(location: location, maxConnections: options.maxConnections)
        try migrate()
    }

    deinit { pool.close() }

    /// Closes the connections (the store cannot be used afterwards).
    public func close() { pool.close() }

    /// The schema version this program writes.
    public static var schemaVersion: Int { PostgresSchema.migrations.count }

    /// Runs the missing migrations under an advisory lock, so replicas starting together migrate once.
    private func migrate() throws {
        try pool.withConnection { lease in
            let connection = lease.connection
            try pool.run("SELECT pg_advisory_lock(\(PostgresSchema.migrationLock))", on: connection)
            defer { _ = try? pool.run("SELECT pg_advisory_unlock(\(PostgresSchema.migrationLock))", on: connection) }
            try pool.run("""
                CREATE TABLE IF NOT EXISTS riskgate_schema (
                    singleton integer PRIMARY KEY CHECK (singleton = 1), version integer NOT NULL)
                """, on: connection)
            let found = try pool.run("SELECT version FROM riskgate_schema WHERE singleton = 1", on: connection)
            let version = try found.first?.decode(Int.self) ?? 0
            let target = PostgresSchema.migrations.count
            if version > target {
                throw StoreError(code: .schema, message: "database schema version \(version) is newer than this program's (\(target))",
                                 path: location.redacted)
            }
            for index in version..<target {
                do {
                    // DDL is transactional in PostgreSQL: a migration lands whole or not at all.
                    try pool.run("BEGIN", on: connection)
                    for statement in PostgresSchema.migrations[index] {
                        try pool.run(PostgresQuery(unsafeSQL: statement), on: connection)
                    }
                    try pool.run("""
                        INSERT INTO riskgate_schema (singleton, version) VALUES (1, \(index + 1))
                        ON CONFLICT (singleton) DO UPDATE SET version = excluded.version
                        """, on: connection)
                    try pool.run("COMMIT", on: connection)
                } catch {
                    _ = try? pool.run("ROLLBACK", on: connection)
                    throw StoreError(code: .schema, message: "migration \(index + 1) failed: \(pool.storeError(error).message)",
                                     path: location.redacted)
                }
            }
        }
    }

    // MARK: - Reads

    public func loadUser(_ user: String) throws -> UserState? {
        let row = try pool.read { connection in
            try pool.run("SELECT version, state FROM users WHERE user_id = \(user)", on: connection).first
                .map { try $0.decode((Int64, ByteBuffer?).self) }
        }
        guard let (version, bytes) = row else { return nil }
        var state: UserState
        if let bytes {
            do { state = try UserStateCodec.decode(Array(bytes.readableBytesView)) } catch {
                throw StoreError(code: .corrupt, message: "cannot decode `users.state`: \(error)", path: location.redacted)
            }
        } else {
            state = UserState()
        }
        state.storeVersion = StoreVersion(version)
        return state
    }

    public func loadChallenge(_ id: String) throws -> Challenge? {
        let text = try pool.read { connection in
            try pool.run("SELECT record FROM challenges WHERE id = \(id) LIMIT 1", on: connection).first
                .map { try $0.decode(String.self) }
        }
        guard let text else { return nil }
        do { return try Challenge(json: text) } catch {
            throw StoreError(code: .corrupt, message: "cannot decode `challenges.record`: \(error)", path: location.redacted)
        }
    }

    public func loadBlob(_ key: String) throws -> Data? {
        if key == DecisionEngine.modelBlobKey { return try modelStats.load(pool: pool) }
        return try pool.read { connection in
            try pool.run("SELECT value FROM blobs WHERE key = \(key)", on: connection).first
                .map { Data(try $0.decode(ByteBuffer.self).readableBytesView) }
        }
    }

    // MARK: - Commit

    /// Commits `change` in one transaction on one connection, extending that connection's audit chain.
    ///
    /// - Throws: ``StoreError``: `.conflict` when a user's row or a challenge changed since it was
    ///   read (nothing is written; read again and retry), `.io` when PostgreSQL cannot be reached
    ///   (nothing acknowledged: the transaction may or may not have committed), `.sql` otherwise.
    public func commit(_ change: StateChange) throws {
        if change.isEmpty { return }
        let prepared = try Prepared(change, location: location)
        let merging = change.blobs[DecisionEngine.modelBlobKey] != nil
        if merging { modelStats.lock.lock() }
        defer { if merging { modelStats.lock.unlock() } }
        do {
            try commitOnce(prepared)
        } catch let error as StoreError where error.code == .io && error.message.hasPrefix(Self.notStarted) {
            // The connection was dead before the transaction began (a PostgreSQL restart closes
            // every pooled connection): nothing was sent, so try once more on a new connection.
            try commitOnce(prepared)
        }
    }

    /// Marks an `.io` failure of `BEGIN`, the only point where retrying cannot write twice.
    private static let notStarted = "not started: "

    private func commitOnce(_ prepared: Prepared) throws {
        try pool.withConnection { lease in
            let connection = lease.connection
            do {
                try pool.run("BEGIN", on: connection)
            } catch let error as PSQLError where !PostgresConnectionPool.isServerError(error) {
                lease.healthy = false
                let failure = pool.storeError(error)
                throw StoreError(code: .io, message: Self.notStarted + failure.message, path: location.redacted)
            }
            var head = lease.chain
            var mergedCounts: PostgresModelStats.Counts?
            do {
                try write(prepared, connection: connection, mergedCounts: &mergedCounts)
                if !prepared.auditDrafts.isEmpty {
                    head = try PostgresAuditChain.append(prepared.auditDrafts, head: lease.chain, key: secrets.current,
                                                         random: random, pool: pool, connection: connection)
                }
            } catch {
                if (error as? PSQLError).map(PostgresConnectionPool.isServerError) ?? true {
                    _ = try? pool.run("ROLLBACK", on: connection)
                }
                throw error
            }
            do {
                try pool.run("COMMIT", on: connection)
            } catch {
                // The outcome is unknown (or known failed): this chain's head may not be what the
                // database holds, so the connection and its chain are retired.
                lease.healthy = false
                lease.chain = nil
                throw error
            }
            lease.chain = head
            if let mergedCounts { modelStats.committed(mergedCounts) }
        }
    }

    /// A change with user states and challenges encoded before a connection is taken.
    private struct Prepared {
        var change: StateChange
        var users: [(user: String, version: Int64?, state: ByteBuffer)]
        var challengeRecords: [String]
        var auditDrafts: [AuditRecord]

        init(_ change: StateChange, location: PostgresLocation) throws {
            self.change = change
            // Sorted, so two transactions writing the same users lock their rows in the same order.
            users = change.users.sorted { $0.key < $1.key }.map { ($0.key, $0.value.storeVersion.value, ByteBuffer(bytes: UserStateCodec.encode($0.value))) }
            challengeRecords = try change.challenges.map {
                do { return try $0.encodedJSON() } catch {
                    throw StoreError(code: .encoding, message: "cannot encode Challenge: \(error)", path: location.redacted)
                }
            }
            auditDrafts = change.audit.map { AuditRecord(draft: $0) }
        }
    }

    private func write(_ prepared: Prepared, connection: PostgresConnection, mergedCounts: inout PostgresModelStats.Counts?) throws {
        for (user, version, state) in prepared.users {
            let written: Int?
            if let version {
                written = try pool.run("""
                    UPDATE users SET state = \(state), version = version + 1 WHERE user_id = \(user) AND version = \(version)
                    """, on: connection).metadata.rows
            } else {
                written = try pool.run("""
                    INSERT INTO users (user_id, version, state) VALUES (\(user), 1, \(state)) ON CONFLICT (user_id) DO NOTHING
                    """, on: connection).metadata.rows
            }
            guard written == 1 else {
                throw StoreError(code: .conflict, message: "a user's state changed since it was read (another replica wrote it)",
                                 path: location.redacted)
            }
        }
        for (challenge, record) in zip(prepared.change.challenges, prepared.challengeRecords) {
            try writeChallenge(challenge, record: record, connection: connection)
        }
        for message in prepared.change.outbox { try writeOutbox(message, connection: connection) }
        for (key, value) in prepared.change.blobs {
            if key == DecisionEngine.modelBlobKey {
                mergedCounts = try modelStats.merge(value, pool: pool, connection: connection)
            } else {
                try pool.run("""
                    INSERT INTO blobs (key, value) VALUES (\(key), \(ByteBuffer(bytes: value)))
                    ON CONFLICT (key) DO UPDATE SET value = excluded.value
                    """, on: connection)
            }
        }
    }

    private func writeChallenge(_ challenge: Challenge, record: String, connection: PostgresConnection) throws {
        let written: Int?
        if challenge.revision == 0 {
            // The user's row anchors the challenge (a decision may raise one without changing the state).
            try pool.run("""
                INSERT INTO users (user_id, version, state) VALUES (\(challenge.user), 0, NULL) ON CONFLICT (user_id) DO NOTHING
                """, on: connection)
            written = try pool.run("""
                INSERT INTO challenges (user_id, id, created, state, revision, record)
                VALUES (\(challenge.user), \(challenge.id), \(challenge.created.timeIntervalSince1970), \(challenge.state.rawValue),
                        0, \(record))
                ON CONFLICT (user_id, id) DO NOTHING
                """, on: connection).metadata.rows
        } else {
            written = try pool.run("""
                UPDATE challenges SET state = \(challenge.state.rawValue), revision = \(challenge.revision), record = \(record)
                WHERE user_id = \(challenge.user) AND id = \(challenge.id) AND revision = \(challenge.revision - 1)
                """, on: connection).metadata.rows
        }
        guard written == 1 else {
            throw StoreError(code: .conflict, message: "challenge `\(challenge.id)` changed concurrently (writing revision \(challenge.revision))",
                             path: location.redacted)
        }
        if challenge.codeIsSpent {
            try pool.run("""
                DELETE FROM outbox WHERE user_id = \(challenge.user) AND challenge = \(challenge.id) AND kind = 'otp'
                """, on: connection)
        }
    }

    private func writeOutbox(_ m: OutboxMessage, connection: PostgresConnection) throws {
        let created = m.created.timeIntervalSince1970
        let sweep = m.kind == "otp" && sweepLock.withLock {
            guard created >= outboxSweptAt + Self.outboxSweepInterval else { return false }
            outboxSweptAt = created
            return true
        }
        if sweep {
            // Codes that expired undelivered go when a new one is written (at most once a minute
            // per process), as in the SQLite store. `ttl_s` is read with a pattern, not a JSON
            // cast, so a malformed body can never fail the transaction.
            try pool.run("""
                DELETE FROM outbox WHERE kind = 'otp'
                AND created + COALESCE(substring(body from '"ttl_s":"([0-9]+(\\.[0-9]+)?)"')::double precision, 1e18) < \(created)
                """, on: connection)
        }
        try pool.run("""
            INSERT INTO outbox (user_id, created, kind, channel, destination, challenge, body)
            VALUES (\(m.user), \(created), \(m.kind), \(m.channel), \(m.destination), \(m.challenge), \(m.body))
            """, on: connection)
    }

    // MARK: - Audit and outbox

    public func auditEntries() throws -> [AuditRecord] {
        var all: [AuditRecord] = []
        var after = Int64.min
        while true {
            let page = try auditEntries(after: after, limit: 10_000)
            all += page
            guard page.count == 10_000, let last = page.last else { return all }
            after = last.id
        }
    }

    /// Records in global order (`id`); ids have gaps (a sequence's numbers are not transactional).
    public func auditEntries(after id: Int64, limit: Int) throws -> [AuditRecord] {
        try pool.read { connection in
            try pool.run("""
                SELECT \(unescaped: PostgresAuditChain.recordColumns) FROM audit WHERE id > \(id) ORDER BY id LIMIT \(Int64(max(0, limit)))
                """, on: connection).map(PostgresAuditChain.record)
        }
    }

    /// The record with the highest id and its hash: an anchor (`N:HASH`) for the chain it ends.
    public func auditHead() throws -> (id: Int64, hash: String)? {
        try pool.read { connection in
            try pool.run("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1", on: connection).first
                .map { try $0.decode((Int64, String).self) }
        }
    }

    public func decisionUser(_ id: String) throws -> String? {
        try pool.read { connection in
            try pool.run("SELECT user_id FROM audit WHERE reference = \(id) AND kind = 'decision' LIMIT 1", on: connection).first
                .map { try $0.decode(String.self) }
        }
    }

    public func outbox(limit: Int) throws -> [OutboxMessage] {
        try pool.read { connection in
            try pool.run("""
                SELECT id, created, kind, channel, user_id, destination, challenge, body, attempts, next_attempt
                FROM outbox ORDER BY id LIMIT \(Int64(max(0, limit)))
                """, on: connection).map { row in
                let (id, created, kind, channel, user, destination, challenge, body, attempts, next) =
                    try row.decode((Int64, Double, String, String, String, String?, String?, String, Int32, Double?).self)
                var message = OutboxMessage(id: id, created: Date(timeIntervalSince1970: created), kind: kind, channel: channel,
                                            user: user, destination: destination, challenge: challenge, body: body)
                message.attempts = Int(attempts)
                message.nextAttempt = next.map(Date.init(timeIntervalSince1970:))
                return message
            }
        }
    }

    public func removeOutbox(_ ids: [Int64]) throws {
        guard !ids.isEmpty else { return }
        try pool.withConnection { lease in
            try pool.run("DELETE FROM outbox WHERE id = ANY(\(ids))", on: lease.connection)
        }
    }
}
