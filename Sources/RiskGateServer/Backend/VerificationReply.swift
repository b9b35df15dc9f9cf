import RiskGatePolicy

/// The result of one challenge verification (`POST /v1/challenges/{id}/verify`).
public struct VerificationReply: Sendable, Hashable, Codable {
    /// What happened to this response.
    public enum Result: String, Sendable, Hashable, Codable, CaseIterable {
        /// The step is satisfied.
        case passed
        /// Wrong response; attempts may remain.
        case failed
        /// The challenge's time to live has passed.
        case expired
        /// The account is locked out (possibly by this very failure).
        case locked
        /// The enforced delay has not passed yet; nothing was consumed.
        case tooEarly = "too_early"
    }

    public var result: Result
    /// The next step the user must complete (`otp`, `kba`, `secret`, `delay`), if any.
    public var nextStep: String?
    /// The outcome the challenge settled on, once it is over (e.g. `passive` after passing,
    /// the policy's `on_failure` outcome after failing).
    public var outcome: Outcome?
    /// Attempts left for the current step after a failure.
    public var attemptsRemaining: Int?
    /// Seconds until a `too_early` step may be retried.
    public var retryAfterS: Double?
    /// This response's failure locked the account (counted by `riskgate_lockouts_total`); not sent
    /// to clients, who see `locked`.
    public var lockedAccount = false

    public init(result: Result, nextStep: String? = nil, outcome: Outcome? = nil,
                attemptsRemaining: Int? = nil, retryAfterS: Double? = nil, lockedAccount: Bool = false) {
        self.result = result; self.nextStep = nextStep; self.outcome = outcome
        self.attemptsRemaining = attemptsRemaining; self.retryAfterS = retryAfterS
        self.lockedAccount = lockedAccount
    }

    enum CodingKeys: String, CodingKey {
        case result, outcome
        case nextStep = "next_step"
        case attemptsRemaining = "attempts_remaining"
        case retryAfterS = "retry_after_s"
    }
}
