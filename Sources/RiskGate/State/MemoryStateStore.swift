import Foundation
import RiskGateEngine
import RiskGatePolicy

/// A store in memory, for replay, tests and the service without `--state`.
///
/// One lock guards plain dictionaries, so a call costs a lock and a hash lookup. Replay over
/// millions of events can pass `keepsAudit: false` to skip hashing and keeping audit records
/// (their count is still kept, but ``decisionUser(_:)`` then finds no decision).
public final class MemoryStateStore: StateStore, @unchecked Sendable {
    private let lock = NSLock()
    private var users: [String: UserState] = [:]
    private var challenges: [String: Challenge] = [:]
    private var blobs: [String: Data] = [:]
    private var outboxMessages: [OutboxMessage] = []
    /// In id order, as SQLite's `dead_letters` reads.
    private var deadLetterList: [DeadLetter] = []
    /// As `SQLiteWriter`'s: when expired codes were last swept.
    private var outboxSweptAt = -Double.infinity
    private var nextOutboxID: Int64 = 1
    private var audit: [AuditRecord] = []
    private var auditCount: Int64 = 0
    /// The last record's hash: records chain after it even when every record was pruned.
    private var auditHeadHash = AuditRecord.genesisHash
    private var checkpoint: AuditCheckpoint?
    /// Decision id → user, for ``decisionUser(_:)``; kept with the audit log (not when `keepsAudit` is off).
    private var decisionUsers: [String: String] = [:]
    private let keepsAudit: Bool

    /// The keys of this store's secrets and audit records; by default a random key that lives as long as the process.
    public let secrets: SecretsKeyring

    public init(keepsAudit: Bool = true, secrets: SecretsKeyring = .ephemeral()) {
        self.keepsAudit = keepsAudit
        self.secrets = secrets
    }

    public func loadUser(_ user: String) throws -> UserState? { lock.withLock { users[user] } }
    public func loadChallenge(_ id: String) throws -> Challenge? { lock.withLock { challenges[id] } }
    public func loadBlob(_ key: String) throws -> Data? { lock.withLock { blobs[key] } }

    /// Number of audit events committed (also counted when they are not kept).
    public var auditEventCount: Int64 { lock.withLock { auditCount } }
    /// Number of users stored.
    public var userCount: Int { lock.withLock { users.count } }

    public func commit(_ change: StateChange) throws {
        if change.isEmpty { return }
        try lock.withLock {
            // Check first, write second: a refused change writes nothing.
            for challenge in change.challenges {
                try checkRevision(challenge, stored: challenges[challenge.id])
            }
            for (id, state) in change.users { users[id] = state }
            for challenge in change.challenges { challenges[challenge.id] = challenge }
            for (key, value) in change.blobs { blobs[key] = value }
            let spent = Set(change.challenges.filter(\.codeIsSpent).map(\.id))
            if !spent.isEmpty {
                outboxMessages.removeAll { $0.kind == "otp" && $0.challenge.map(spent.contains) == true }
            }
            for var message in change.outbox {
                if message.kind == "otp" && message.created.timeIntervalSince1970 >= outboxSweptAt + SQLiteWriter.outboxSweepInterval {
                    outboxSweptAt = message.created.timeIntervalSince1970
                    outboxMessages.removeAll { $0.kind == "otp" && ($0.otpExpiry.map { $0 < message.created } ?? false) }
                }
                message.id = nextOutboxID
                nextOutboxID += 1
                // As SQLite's insert: a new message has no delivery history.
                message.attempts = 0
                message.nextAttempt = nil
                outboxMessages.append(message)
            }
            for event in change.audit {
                auditCount += 1
                guard keepsAudit else { continue }
                if event.kind == .decision, let id = event.reference { decisionUsers[id] = event.user }
                let record = AuditRecord(id: auditCount, event: event, prevHash: auditHeadHash, key: secrets.current)
                audit.append(record)
                auditHeadHash = record.hash
            }
        }
    }

    public func auditEntries() throws -> [AuditRecord] { lock.withLock { audit } }

    /// Looks the decision up in an index kept beside the audit log; a store made with
    /// `keepsAudit: false` keeps no audit and knows no decision.
    public func decisionUser(_ id: String) throws -> String? { lock.withLock { decisionUsers[id] } }

    public func auditEntries(after id: Int64, limit: Int) throws -> [AuditRecord] {
        lock.withLock {
            let start = audit.firstIndex { $0.id > id } ?? audit.count
            return Array(audit[start..<min(audit.count, start + max(0, limit))])
        }
    }

    public func auditHead() throws -> (id: Int64, hash: String)? {
        lock.withLock { keepsAudit && auditCount > 0 ? (auditCount, auditHeadHash) : nil }
    }

    public func auditCheckpoint() throws -> AuditCheckpoint? { lock.withLock { checkpoint } }

    public func pruneAudit(through id: Int64, at time: Date) throws -> AuditCheckpoint {
        try lock.withLock {
            guard let last = audit.first(where: { $0.id == id }) else {
                throw StoreError(code: .notFound, message: "audit record \(id) does not exist (or was pruned already)")
            }
            let made = AuditCheckpoint(throughID: id, hash: last.hash, time: Timestamp.format(time), key: secrets.current)
            audit.removeAll { $0.id <= id }
            checkpoint = made
            return made
        }
    }

    public func outbox(limit: Int) throws -> [OutboxMessage] {
        lock.withLock { Array(outboxMessages.prefix(max(0, limit))) }
    }

    public func removeOutbox(_ ids: [Int64]) throws {
        let remove = Set(ids)
        lock.withLock { outboxMessages.removeAll { $0.id.map(remove.contains) ?? false } }
    }

    public func deferOutbox(_ id: Int64, attempts: Int, nextAttempt: Date) throws {
        lock.withLock {
            guard let index = outboxMessages.firstIndex(where: { $0.id == id }) else { return }
            outboxMessages[index].attempts = attempts
            outboxMessages[index].nextAttempt = nextAttempt
        }
    }

    public func deadLetterOutbox(_ id: Int64, attempts: Int, reason: String, at time: Date) throws {
        lock.withLock {
            guard let index = outboxMessages.firstIndex(where: { $0.id == id }) else { return }
            var message = outboxMessages.remove(at: index)
            message.attempts = attempts
            message.nextAttempt = nil
            let position = deadLetterList.firstIndex { ($0.message.id ?? 0) > id } ?? deadLetterList.endIndex
            deadLetterList.insert(DeadLetter(message: message, reason: reason, time: time), at: position)
        }
    }

    public func deadLetters(limit: Int) throws -> [DeadLetter] {
        lock.withLock { Array(deadLetterList.prefix(max(0, limit))) }
    }

    public func retryDeadLetters(_ ids: [Int64]?) throws -> [Int64] {
        lock.withLock {
            let wanted = ids.map(Set.init)
            var moved: [Int64] = []
            deadLetterList.removeAll { letter in
                guard let id = letter.message.id, wanted?.contains(id) ?? true else { return false }
                var message = letter.message
                message.attempts = 0
                // Back in id order, as SQLite's outbox reads it.
                let position = outboxMessages.firstIndex { ($0.id ?? 0) > id } ?? outboxMessages.endIndex
                outboxMessages.insert(message, at: position)
                moved.append(id)
                return true
            }
            return moved
        }
    }
}

/// Refuses a challenge write based on a stale read (optimistic concurrency).
func checkRevision(_ challenge: Challenge, stored: Challenge?) throws {
    let storedRevision = stored?.revision ?? -1
    guard challenge.revision == storedRevision + 1 else {
        throw StoreError(code: .conflict, message: "challenge `\(challenge.id)` changed concurrently (stored revision \(storedRevision), writing \(challenge.revision))")
    }
}
