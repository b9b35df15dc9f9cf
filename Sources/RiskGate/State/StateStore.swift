import Foundation
import RiskGateEngine

/// Where RiskGate keeps what it remembers: user states, challenges, the delivery outbox, model
/// statistics (blobs) and the audit log.
///
/// Reads are single lookups; every write goes through ``commit(_:)``, one atomic transaction, so a
/// decision or verification is either entirely stored (state, challenge, outbox, audit) or not at all.
public protocol StateStore: AnyObject, Sendable {
    /// The keys that protect this store's secrets (OTP codes, KBA answers, partial secrets) and
    /// authenticate its audit records; kept outside the store.
    var secrets: SecretsKeyring { get }
    /// The stored state of `user`, or `nil` for a user never seen.
    func loadUser(_ user: String) throws -> UserState?
    /// A challenge by id, or `nil`.
    func loadChallenge(_ id: String) throws -> Challenge?
    /// A global blob (e.g. model statistics) by key, or `nil`.
    func loadBlob(_ key: String) throws -> Data?
    /// Writes everything in `change` in one transaction; audit events are numbered and chained inside it.
    ///
    /// - Throws: ``StoreError`` (`.conflict` when a challenge was changed concurrently; nothing is written).
    func commit(_ change: StateChange) throws
    /// Queues `change` and returns without waiting for it; reads see it at once. A store may group
    /// queued changes from many callers into one transaction. The default commits synchronously.
    func beginCommit(_ change: StateChange) -> PendingCommit
    /// The audit log in id order.
    func auditEntries() throws -> [AuditRecord]
    /// Up to `limit` audit records with id greater than `id`, in id order, for paging through large logs.
    func auditEntries(after id: Int64, limit: Int) throws -> [AuditRecord]
    /// The last record's id and hash as recorded by the store, independent of the records themselves.
    func auditHead() throws -> (id: Int64, hash: String)?
    /// Where the log starts when records were pruned, or `nil` when it still starts at record 1.
    func auditCheckpoint() throws -> AuditCheckpoint?
    /// Deletes audit records 1 through `id` and leaves an ``AuditCheckpoint`` (made at `time`
    /// under the current key) in their place, in one transaction. Pruning never goes backwards.
    ///
    /// - Throws: ``StoreError`` (`.notFound` when record `id` does not exist or is already pruned).
    func pruneAudit(through id: Int64, at time: Date) throws -> AuditCheckpoint
    /// The user of the decision with id `id`, read from its audit record; `nil` when no decision
    /// with that id was committed (feedback for an unknown decision is refused with this).
    func decisionUser(_ id: String) throws -> String?
    /// The oldest `limit` undelivered outbox messages.
    func outbox(limit: Int) throws -> [OutboxMessage]
    /// Deletes delivered outbox messages (and with them the OTP codes they carry).
    func removeOutbox(_ ids: [Int64]) throws

    // Delivery bookkeeping for a webhook deliverer (docs/delivery.md): a message that failed waits
    // for its next attempt in the outbox; one that failed too often moves to the dead letters,
    // which an operator lists and sends back. Messages keep their id throughout.

    /// Records a failed delivery of outbox message `id`: it has now failed `attempts` times and is
    /// due again at `nextAttempt` (``OutboxMessage/attempts``, ``OutboxMessage/nextAttempt``).
    /// Does nothing when the message is no longer in the outbox (its code was spent meanwhile).
    func deferOutbox(_ id: Int64, attempts: Int, nextAttempt: Date) throws
    /// Moves outbox message `id` to the dead letters in one transaction, with the number of
    /// failed `attempts`, the last failure's `reason` (no code, destination or URL in it) and
    /// the `time` it gave up. Does nothing when the message is no longer in the outbox.
    func deadLetterOutbox(_ id: Int64, attempts: Int, reason: String, at time: Date) throws
    /// Up to `limit` dead letters in id order, bodies as stored (an OTP's code still sealed).
    func deadLetters(limit: Int) throws -> [DeadLetter]
    /// Moves the dead letters with these ids (every one when `ids` is `nil`) back to the outbox
    /// under their own ids, with no failed attempts and due at once; returns the ids moved.
    func retryDeadLetters(_ ids: [Int64]?) throws -> [Int64]
}

extension StateStore {
    public func beginCommit(_ change: StateChange) -> PendingCommit {
        PendingCommit(finished: Result { try commit(change) })
    }

    /// Scans the whole audit log; stores that can look a decision up by id should do so instead.
    ///
    /// - Complexity: O(n) in the number of audit records.
    public func decisionUser(_ id: String) throws -> String? {
        var after = Int64.min
        while true {
            let page = try auditEntries(after: after, limit: 10_000)
            if let record = page.first(where: { $0.kind == AuditKind.decision.rawValue && $0.reference == id }) {
                return record.user
            }
            guard page.count == 10_000, let last = page.last else { return nil }
            after = last.id
        }
    }
}

/// Everything one request or verification writes, committed atomically by ``StateStore/commit(_:)``.
public struct StateChange: Sendable {
    /// User states to insert or replace, by user id.
    public var users: [String: UserState]
    /// Challenges to insert (revision 0) or update (stored revision + 1).
    public var challenges: [Challenge]
    /// Messages to queue for delivery.
    public var outbox: [OutboxMessage]
    /// Global blobs to insert or replace.
    public var blobs: [String: Data]
    /// Audit events to append, in order.
    public var audit: [AuditEvent]

    public init(users: [String: UserState] = [:], challenges: [Challenge] = [], outbox: [OutboxMessage] = [],
                blobs: [String: Data] = [:], audit: [AuditEvent] = []) {
        self.users = users; self.challenges = challenges; self.outbox = outbox; self.blobs = blobs; self.audit = audit
    }

    /// Whether there is nothing to write.
    public var isEmpty: Bool {
        users.isEmpty && challenges.isEmpty && outbox.isEmpty && blobs.isEmpty && audit.isEmpty
    }
}

/// A message waiting for delivery: an OTP to send, or a hand-off for the agent desk.
///
/// The outbox is the delivery queue, so an OTP message carries the code, encrypted under the
/// secrets key (`sealed_code` in `body`): a copy of the database does not give away live codes.
/// A deliverer reads the queue, opens the code with ``openedForDelivery(keyring:)``, sends, and
/// calls ``StateStore/removeOutbox(_:)``; the SQLite store then overwrites the deleted row (secure
/// delete) and checkpoints the WAL. The audit never holds a code.
public struct OutboxMessage: Sendable, Hashable, Codable {
    /// Assigned by the store; `nil` before commit.
    public var id: Int64?
    public var created: Date
    /// `otp`, `push` (a push approval request for the app, ``PushApproval``) or `handoff`.
    public var kind: String
    /// `sms`, `email`, `push`, `voice` or `agent`.
    public var channel: String
    public var user: String
    /// Phone number or email address to deliver to, when the channel needs one.
    public var destination: String?
    public var challenge: String?
    /// The payload as JSON text (for `otp`: `{"sealed_code": "v1.KEYID.HEX", "ttl_s": "300"}`; once
    /// opened for delivery `{"code": "123456", "ttl_s": "300"}`).
    public var body: String
    /// Failed delivery attempts so far; 0 for a message never tried. Kept by the store, not part
    /// of the message's JSON form.
    public var attempts: Int
    /// When the next delivery attempt is due; `nil` for at once. Kept by the store, not part of
    /// the message's JSON form.
    public var nextAttempt: Date?

    public init(id: Int64? = nil, created: Date, kind: String, channel: String, user: String,
                destination: String? = nil, challenge: String? = nil, body: String,
                attempts: Int = 0, nextAttempt: Date? = nil) {
        self.id = id; self.created = created; self.kind = kind; self.channel = channel; self.user = user
        self.destination = destination; self.challenge = challenge; self.body = body
        self.attempts = attempts; self.nextAttempt = nextAttempt
    }

    /// The JSON form (`challenge outbox` prints it) is the message alone, without the delivery bookkeeping.
    private enum CodingKeys: String, CodingKey {
        case id, created, kind, channel, user, destination, challenge, body
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(id: try c.decodeIfPresent(Int64.self, forKey: .id), created: try c.decode(Date.self, forKey: .created),
                  kind: try c.decode(String.self, forKey: .kind), channel: try c.decode(String.self, forKey: .channel),
                  user: try c.decode(String.self, forKey: .user),
                  destination: try c.decodeIfPresent(String.self, forKey: .destination),
                  challenge: try c.decodeIfPresent(String.self, forKey: .challenge), body: try c.decode(String.self, forKey: .body))
    }

    /// The body member that holds an OTP code encrypted under the secrets key.
    public static let sealedCodeKey = "sealed_code"

    /// This message as a deliverer needs it: an OTP's `sealed_code` replaced by the `code` in clear.
    /// Other messages are returned as they are.
    ///
    /// - Throws: ``SecretsKeyFile/Failure`` when the code does not open under `keyring` (another
    ///   database's key, a key removed from the file, or an altered body).
    public func openedForDelivery(keyring: SecretsKeyring) throws(SecretsKeyFile.Failure) -> OutboxMessage {
        guard kind == "otp", var fields = JSONObjectReader.strings(in: body),
              let sealed = fields.removeValue(forKey: Self.sealedCodeKey) else { return self }
        guard let code = SecretHashing.openOutboxCode(sealed, challenge: challenge ?? "", keyring: keyring) else {
            throw SecretsKeyFile.Failure(path: "(outbox message \(id.map(String.init) ?? "-"))",
                                         message: "the OTP code does not decrypt under this key file")
        }
        fields["code"] = code
        var opened = self
        opened.body = AuditRecord.compactJSON(fields)
        return opened
    }

    /// When an `otp` message's code stops working (`created` + its `ttl_s`); `nil` for other kinds.
    public var otpExpiry: Date? {
        guard kind == "otp", let fields = JSONObjectReader.strings(in: body),
              let ttl = fields["ttl_s"].flatMap(Double.init) else { return nil }
        return created.addingTimeInterval(ttl)
    }
}

/// An outbox message that failed delivery too many times and waits for an operator
/// (``StateStore/retryDeadLetters(_:)`` sends it back to the outbox).
public struct DeadLetter: Sendable, Hashable {
    /// The message as it left the outbox (its id, and `attempts` = the failed attempts).
    public var message: OutboxMessage
    /// Why the last attempt failed (`http 500`, `timeout`, `connection failed`, ...).
    public var reason: String
    /// When delivery gave up.
    public var time: Date

    public init(message: OutboxMessage, reason: String, time: Date) {
        self.message = message; self.reason = reason; self.time = time
    }
}
