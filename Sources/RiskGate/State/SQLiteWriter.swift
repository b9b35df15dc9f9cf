import Foundation
import RiskGateEngine

/// The one thread that writes to a SQLite state store, committing concurrent changes together.
///
/// Callers queue a change and wait (blocking or suspended); the writer takes everything queued,
/// writes each change inside its own savepoint of one `BEGIN IMMEDIATE` transaction, commits once
/// and then tells each caller its outcome. A change that fails (a challenge revision conflict) is
/// rolled back to its savepoint alone; a failed `COMMIT` fails the whole batch. Nothing is
/// acknowledged before its transaction has committed, so group commit keeps the store's durability:
/// an acknowledged write survives `kill -9`. Under load a batch holds as many changes as arrived
/// during the previous commit, which turns one transaction per decision into one per batch.
final class SQLiteWriter: @unchecked Sendable {
    /// A change ready to write: user rows and challenge records already encoded (on the caller's
    /// thread, so the one writer thread only binds values).
    struct PreparedChange: Sendable {
        var change: StateChange
        var rows: [SQLiteUserRow]
        /// `change.challenges` encoded, in the same order.
        var challengeRecords: [String]
        /// `change.audit` as records still to number and chain, in the same order.
        var auditDrafts: [AuditRecord]

        init(_ change: StateChange, path: String) throws {
            self.change = change
            rows = try change.users.map { try SQLiteUserRow(user: $0.key, state: $0.value, path: path) }
            challengeRecords = try change.challenges.map { try SQLiteWriter.encodeRecord($0, path: path) }
            auditDrafts = change.audit.map { AuditRecord(draft: $0) }
        }
    }

    private struct Ticket {
        var prepared: PreparedChange
        var pending: PendingCommit
    }

    /// Guards the connection: the writer thread holds it for a batch; maintenance calls take it too.
    let connectionLock = NSLock()
    let connection: SQLiteConnection
    let cache: UserStateCache
    let path: String
    /// Most changes in one transaction.
    let maxBatch: Int
    /// How often an idle writer checks for commits by other processes (seconds).
    static let idlePollSeconds = 0.05

    private let condition = NSCondition()
    private var queue: [Ticket] = []
    private var stopping = false
    private var running = false
    private let exited = DispatchSemaphore(value: 0)
    private var dataVersion: Int64?
    /// User rows written so far (a row replaced later in the same batch is not written).
    package private(set) var userRowsWritten = 0
    /// The `created` time (seconds since 1970) of the OTP message that last swept expired codes.
    private var outboxSweptAt = -Double.infinity
    /// Expired codes are swept at most this often (seconds of message time): a sweep reads the
    /// whole outbox, which grows with hand-offs and codes while nothing delivers them.
    static let outboxSweepInterval = 60.0

    /// The key new audit records are authenticated under (the keyring's current key).
    private let auditKey: SecretsKeyring.Key
    /// `auditKey` set up for HMAC once (`nil` if OpenSSL could not: records are then hashed one-shot).
    private let auditMAC: KeyedHMAC?

    /// Told of each committed batch, to copy the WAL into the database file off this thread.
    private let checkpointer: SQLiteCheckpointer?

    init(connection: SQLiteConnection, cache: UserStateCache, path: String, auditKey: SecretsKeyring.Key, maxBatch: Int = 1_000,
         checkpointer: SQLiteCheckpointer? = nil) {
        self.auditKey = auditKey
        auditMAC = KeyedHMAC(key: auditKey.audit)
        self.checkpointer = checkpointer
        self.connection = connection
        self.cache = cache
        self.path = path
        self.maxBatch = max(1, maxBatch)
    }

    /// Starts the writer thread.
    func start() {
        condition.withLock { running = true }
        let thread = Thread { [self] in run() }
        thread.name = "riskgate-sqlite-writer"
        thread.start()
    }

    /// Finishes what is queued, then stops the thread, waits for it and closes the connection (at
    /// once, not whenever the thread object lets go of the writer: another process may want the file).
    func stop() {
        let wasRunning = condition.withLock {
            stopping = true
            condition.broadcast()
            return running
        }
        if wasRunning { exited.wait() }
        connectionLock.withLock { connection.close() }
    }

    /// Queues `prepared` (its users' states become what reads see at once) and returns its commit.
    func submit(_ prepared: PreparedChange) -> PendingCommit {
        let pending = PendingCommit()
        let accepted = condition.withLock {
            guard !stopping else { return false }
            cache.queued(prepared.change.users)
            queue.append(Ticket(prepared: prepared, pending: pending))
            condition.signal()
            return true
        }
        if !accepted { pending.finish(.failure(StoreError(code: .io, message: "the store is closed", path: path))) }
        return pending
    }

    private func run() {
        while true {
            condition.lock()
            while queue.isEmpty && !stopping {
                // Idle: look for other processes' commits now and then, so the cache does not keep
                // serving a user's state that `riskgate account ...` changed meanwhile.
                if !condition.wait(until: Date(timeIntervalSinceNow: Self.idlePollSeconds)) {
                    condition.unlock()
                    connectionLock.withLock { noticeForeignWrites() }
                    condition.lock()
                }
            }
            if queue.isEmpty && stopping {
                running = false
                condition.unlock()
                break
            }
            let batch = Array(queue.prefix(maxBatch))
            queue.removeFirst(batch.count)
            condition.unlock()

            let results = connectionLock.withLock { writeBatch(batch.map(\.prepared)) }
            checkpointer?.committed()
            for (ticket, result) in zip(batch, results) {
                let committed = if case .success = result { true } else { false }
                cache.finished(ticket.prepared.change.users.keys, committed: committed)
                ticket.pending.finish(result.mapError { $0 as any Error })
            }
        }
        exited.signal()
    }

    /// Writes a batch in one transaction; one result per change. The writer thread calls it
    /// holding `connectionLock`; tests call it directly on a writer whose thread is not started.
    package func writeBatch(_ batch: [PreparedChange]) -> [Result<Void, StoreError>] {
        noticeForeignWrites()
        var results: [Result<Void, StoreError>] = []
        results.reserveCapacity(batch.count)
        do {
            try connection.transaction { try write(batch, results: &results) }
            return results
        } catch {
            let failure = Self.storeError(error, path: path)
            return batch.map { _ in .failure(failure) }
        }
    }

    /// The body of a batch's transaction: each change in its own savepoint, then the audit head.
    ///
    /// A user's row is written once a batch: a row that a later change in the batch replaces is
    /// held back (a hot user's decisions all land in one batch under load, each with the whole
    /// state). If that later change fails, the held-back row is written instead, so the stored
    /// state is always the last acknowledged one.
    private func write(_ batch: [PreparedChange], results: inout [Result<Void, StoreError>]) throws {
        let start = try connection.auditHead() ?? (0, AuditRecord.genesisHash)
        var head = start
        var lastWriter: [String: Int] = [:]
        for (index, prepared) in batch.enumerated() {
            for row in prepared.rows { lastWriter[row.user] = index }
        }
        // Rows of committed changes held back for a later change of the same user.
        var heldBack: [String: SQLiteUserRow] = [:]
        for (index, prepared) in batch.enumerated() {
            let before = head
            // Rows this change writes (no later change of the batch has their user), and the rest.
            var last: [SQLiteUserRow] = [], superseded: [SQLiteUserRow] = []
            for row in prepared.rows {
                if lastWriter[row.user] == index { last.append(row) } else { superseded.append(row) }
            }
            do {
                try connection.cached("SAVEPOINT change").run()
                try write(prepared, rows: last, head: &head)
                try connection.cached("RELEASE change").run()
                for row in last { heldBack[row.user] = nil }
                for row in superseded { heldBack[row.user] = row }
                results.append(.success(()))
            } catch {
                try? connection.cached("ROLLBACK TO change").run()
                try? connection.cached("RELEASE change").run()
                head = before
                results.append(.failure(Self.storeError(error, path: path)))
                // This change was to write these users last: the previous acknowledged rows stand.
                // A failure here fails the whole batch (nothing acknowledged would be lost).
                for row in last {
                    guard let held = heldBack.removeValue(forKey: row.user) else { continue }
                    try upsert(held)
                }
            }
        }
        if head.id != start.id {
            let s = try connection.cached(
                "INSERT INTO audit_head (singleton, last_id, hash) VALUES (1, ?, ?) ON CONFLICT(singleton) DO UPDATE SET last_id = excluded.last_id, hash = excluded.hash")
            s.bind(1, head.id)
            s.bind(2, head.hash)
            try s.run()
        }
    }

    /// Writes one change with `rows`, those of its user rows that no later change of the batch replaces.
    private func write(_ prepared: PreparedChange, rows: [SQLiteUserRow], head: inout (id: Int64, hash: String)) throws {
        let change = prepared.change
        for row in rows { try upsert(row) }
        for (challenge, record) in zip(change.challenges, prepared.challengeRecords) { try writeChallenge(challenge, record: record) }
        for message in change.outbox { try writeOutbox(message) }
        for (key, value) in change.blobs {
            let s = try connection.prepare("INSERT INTO blobs (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
            s.bind(1, key)
            s.bind(2, value)
            try s.run()
        }
        if !prepared.auditDrafts.isEmpty { try appendAudit(prepared.auditDrafts, head: &head) }
    }

    private func upsert(_ row: SQLiteUserRow) throws {
        let s = try connection.cached(SQLiteUserRow.upsert)
        row.bind(to: s)
        try s.run()
        userRowsWritten += 1
    }

    private func writeChallenge(_ challenge: Challenge, record: String) throws {
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
        s.bind(6, record)
        try s.run()
        if challenge.codeIsSpent {
            let spent = try connection.cached("DELETE FROM outbox WHERE challenge = ? AND kind = 'otp'")
            spent.bind(1, challenge.id)
            try spent.run()
        }
    }

    private func writeOutbox(_ m: OutboxMessage) throws {
        if m.kind == "otp" && m.created.timeIntervalSince1970 >= outboxSweptAt + Self.outboxSweepInterval {
            // Codes that expired undelivered go when a new one is written (at most once a minute),
            // so a service without a deliverer keeps only codes that still work, give or take a minute.
            outboxSweptAt = m.created.timeIntervalSince1970
            let expired = try connection.cached(
                """
                DELETE FROM outbox WHERE kind = 'otp'
                AND (CASE WHEN json_valid(body) THEN created + CAST(json_extract(body, '$.ttl_s') AS REAL) END) < ?
                """)
            expired.bind(1, m.created.timeIntervalSince1970)
            try expired.run()
        }
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

    /// Appends and chains audit records after `head`.
    private func appendAudit(_ drafts: [AuditRecord], head: inout (id: Int64, hash: String)) throws {
        for draft in drafts {
            let r = if let auditMAC {
                draft.chained(id: head.id + 1, prevHash: head.hash, key: auditKey, mac: auditMAC)
            } else {
                draft.chained(id: head.id + 1, prevHash: head.hash, key: auditKey)
            }
            let s = try connection.cached("""
                INSERT INTO audit (id, time, kind, user, policy_hash, outcome, rules, signals, method, result, reference, prev_hash, hash, key_id)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            s.bind(1, r.id); s.bind(2, r.time); s.bind(3, r.kind); s.bind(4, r.user); s.bind(5, r.policyHash)
            s.bind(6, r.outcome); s.bind(7, r.rules); s.bind(8, r.signals); s.bind(9, r.method); s.bind(10, r.result)
            s.bind(11, r.reference); s.bind(12, r.prevHash); s.bind(13, r.hash); s.bind(14, r.keyID)
            try s.run()
            head = (r.id, r.hash)
        }
    }

    /// Another process (e.g. `riskgate account set`) committed to the file: cached users may be stale.
    private func noticeForeignWrites() {
        guard let s = try? connection.cached("PRAGMA data_version") else { return }
        defer { s.reset() }
        guard (try? s.step()) == true, let version = s.int64(0) else { return }
        if let dataVersion, dataVersion != version { cache.invalidateCommitted() }
        dataVersion = version
    }

    static func encodeRecord(_ challenge: Challenge, path: String) throws -> String {
        do { return try challenge.encodedJSON() } catch {
            throw StoreError(code: .encoding, message: "cannot encode Challenge: \(error)", path: path)
        }
    }

    static func storeError(_ error: any Error, path: String) -> StoreError {
        (error as? StoreError) ?? StoreError(code: .sql, message: "\(error)", path: path)
    }
}
