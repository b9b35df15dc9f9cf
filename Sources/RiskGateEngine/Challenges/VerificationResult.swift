import Foundation
import RiskGatePolicy

/// The answer to one verification (docs/http-api.md `POST /v1/challenges/{id}/verify`).
///
/// Never contains the response, a code, or an answer.
public struct VerificationResult: Sendable, Hashable, Codable {
    /// `passed`, `failed`, `expired`, `locked` or `too_early`.
    public enum Result: String, Sendable, Hashable, Codable, CaseIterable {
        case passed
        case failed
        case expired
        case locked
        case tooEarly = "too_early"
    }

    public var challenge: String
    public var step: String
    public var result: Result
    /// Why, in more detail: `wrong_response`, `attempts_exhausted`, `account_locked`,
    /// `account_banned`, `challenge_failed`, `challenge_expired`, `delay_pending`.
    public var reason: String?
    /// The step to verify next, when the challenge goes on.
    public var nextStep: String?
    /// For a next `kba` step, the question to ask.
    public var question: String?
    /// For a next `partial_secret` step, the 1-based positions to ask for.
    public var positions: [Int]?
    public var attemptsLeft: Int?
    /// Every step passed: access may be granted.
    public var complete: Bool
    /// The outcome the challenge settled on, once it is over: `passive` when every step passed,
    /// its `on_failure` outcome when attempts ran out, `deny` when the account got locked.
    public var outcome: Outcome?
    public var handOff: HandOff?
    /// For `too_early` and `locked`: seconds until a retry can succeed (absent for a ban).
    public var retryAfterS: Double?
    /// This response's failure locked the account (the transition to locked, counted once; a reply
    /// to an account that was already locked leaves it `false`). Not part of the JSON form.
    public var lockedAccount = false

    public init(challenge: String, step: String, result: Result) {
        self.challenge = challenge; self.step = step; self.result = result; complete = false
    }

    enum CodingKeys: String, CodingKey {
        case challenge, step, result, reason, question, positions, complete, outcome
        case nextStep = "next_step"
        case attemptsLeft = "attempts_left"
        case handOff = "hand_off"
        case retryAfterS = "retry_after_s"
    }
}
