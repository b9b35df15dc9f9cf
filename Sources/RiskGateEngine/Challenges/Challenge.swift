import Foundation
import RiskGatePolicy

/// A running challenge: the steps the user must pass for one decision, and each step's state.
///
/// Holds only salted hashes of secrets. Stored whole (the SQLite store keeps it as one JSON column
/// beside indexed `id`, `user`, `state`).
public struct Challenge: Sendable, Hashable, Codable {
    /// `ch-` and 16 hex digits from the CSPRNG.
    public var id: String
    public var user: String
    public var decisionID: String
    public var created: Date
    /// The outcome being carried out (`otp` or `otp_kba_delay`).
    public var outcome: Outcome
    public var steps: [ChallengeStep]
    /// Index into ``steps`` of the step to verify next (`steps.count` when all passed).
    public var currentStep: Int
    public var state: State
    /// Where a failed challenge goes (`agent_escalation` produces a hand-off).
    public var onFailure: Outcome?
    /// Lockout parameters in force when the challenge was made.
    public var lockout: Lockout.Settings
    /// The request's channel (deliveries avoid it).
    public var requestChannel: String?
    /// Who, why, and what was verified, for an agent if this challenge escalates.
    public var context: HandOffContext
    /// Increases by one on every stored change; the store refuses a stale write.
    public var revision: Int
    /// The request that raised this challenge; when the challenge is passed, the engine records it
    /// as an accepted login (history, devices, typing, model). Never written to the audit log.
    public var pendingLogin: RequestContext? = nil
    /// Whether the request that raised it came from a context familiar to the account
    /// (``Lockout/isFamiliar(deviceKnown:deviceTrusted:ipKnown:)``): its failed responses count
    /// toward that class's lockout. Absent means unfamiliar.
    public var familiar: Bool? = nil

    package init(id: String, user: String, decisionID: String, created: Date, outcome: Outcome, steps: [ChallengeStep],
                 currentStep: Int, state: State, onFailure: Outcome?, lockout: Lockout.Settings, requestChannel: String?,
                 context: HandOffContext, revision: Int, pendingLogin: RequestContext? = nil, familiar: Bool? = nil) {
        self.id = id
        self.user = user
        self.decisionID = decisionID
        self.created = created
        self.outcome = outcome
        self.steps = steps
        self.currentStep = currentStep
        self.state = state
        self.onFailure = onFailure
        self.lockout = lockout
        self.requestChannel = requestChannel
        self.context = context
        self.revision = revision
        self.pendingLogin = pendingLogin
        self.familiar = familiar
    }

    /// The life cycle of a challenge.
    public enum State: String, Sendable, Hashable, Codable {
        case open
        /// Every step passed.
        case passed
        /// Attempts ran out or the account got locked.
        case failed
        /// A time-limited step expired before it was passed.
        case expired
    }

    /// The names of the steps, in order (`otp`, `push`, `kba`, `partial_secret`, `delay`).
    public var stepNames: [String] { steps.map(\.kind.rawValue) }

    /// Whether its OTP code can no longer be used: the challenge is over, or its OTP step passed.
    /// Stores then delete its undelivered `otp` outbox message, the only copy of the code in clear.
    public var codeIsSpent: Bool { state != .open || steps.contains { $0.kind == .otp && $0.passed } }

    enum CodingKeys: String, CodingKey {
        case id, user, created, outcome, steps, state, lockout, context, revision
        case pendingLogin = "pending_login"
        case familiar
        case decisionID = "decision_id"
        case currentStep = "current_step"
        case onFailure = "on_failure"
        case requestChannel = "request_channel"
    }
}

/// One step of a challenge and its state.
public struct ChallengeStep: Sendable, Hashable, Codable {
    /// A kind of challenge step.
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        case otp
        /// An approval from the account's registered app device (signed with its Ed25519 key).
        case push
        case kba
        case partialSecret = "partial_secret"
        case delay
    }

    public var kind: Kind
    /// Attempts used and allowed on this step.
    public var attempts: Int = 0
    public var maxAttempts: Int
    /// The step was passed (its code or answer has been used).
    public var passed = false
    /// OTP: salt and HMAC-SHA256(salt, challenge id, code) under the secrets key named by
    /// `keyID`, the delivery channel, and when the code stops working.
    public var salt: [UInt8]?
    public var codeHash: [UInt8]?
    public var keyID: String?
    public var channel: String?
    public var expires: Date?
    /// KBA: indexes into the profile's questions to ask, in order, and how many were answered.
    public var questions: [Int]?
    public var answered: Int = 0
    /// Partial secret: 1-based positions to ask for, ascending.
    public var positions: [Int]?
    /// Delay: the wait in seconds, and the earliest passing time once the previous steps passed.
    public var delay: Double?
    public var delayUntil: Date?
    /// Push: the app device asked (its answer must be signed with that device's key), the
    /// per-challenge nonce the signature must cover (hex), and with number matching the number
    /// the login screen shows, which the user must pick in the app. `expires` ends the request.
    public var device: String?
    public var nonce: String?
    public var number: Int?

    public init(kind: Kind, maxAttempts: Int) {
        self.kind = kind
        self.maxAttempts = maxAttempts
    }

    enum CodingKeys: String, CodingKey {
        case kind, attempts, passed, salt, channel, expires, questions, answered, positions, delay
        case device, nonce, number
        case maxAttempts = "max_attempts"
        case codeHash = "code_hash"
        case keyID = "key_id"
        case delayUntil = "delay_until"
    }
}

/// What an agent needs to take over without asking anything twice.
public struct HandOffContext: Sendable, Hashable, Codable {
    /// The request channel (chat, voice, ...).
    public var channel: String?
    public var score: Double
    /// The decision path (rule ids) and the score rules that contributed.
    public var rules: [String]
    public var contributions: [String]
    /// Redacted signal values that led to the decision.
    public var signals: [String: JSONValue]
    public var policyHash: String

    public init(channel: String?, score: Double, rules: [String], contributions: [String],
                signals: [String: JSONValue], policyHash: String) {
        self.channel = channel; self.score = score; self.rules = rules; self.contributions = contributions
        self.signals = signals; self.policyHash = policyHash
    }

    enum CodingKeys: String, CodingKey {
        case channel, score, rules, contributions, signals
        case policyHash = "policy_hash"
    }
}

/// The hand-off record for `agent_escalation` (docs/state.md): who, why, and what was already verified.
public struct HandOff: Sendable, Hashable, Codable {
    public var user: String
    public var decisionID: String
    public var challengeID: String?
    public var created: Date
    public var context: HandOffContext
    /// Steps the user already passed (e.g. `["otp"]`), so the agent does not repeat them.
    public var stepsPassed: [String]
    /// Why the hand-off happened: `decision` or `challenge_failed`.
    public var reason: String

    public init(user: String, decisionID: String, challengeID: String?, created: Date, context: HandOffContext,
                stepsPassed: [String], reason: String) {
        self.user = user; self.decisionID = decisionID; self.challengeID = challengeID; self.created = created
        self.context = context; self.stepsPassed = stepsPassed; self.reason = reason
    }

    enum CodingKeys: String, CodingKey {
        case user, created, context, reason
        case decisionID = "decision_id"
        case challengeID = "challenge_id"
        case stepsPassed = "steps_passed"
    }
}
