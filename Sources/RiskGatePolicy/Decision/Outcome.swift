/// One rung of the friction ladder (docs/policy-language.md), least to most friction.
///
/// Outcomes are ordered by ``rank``: `passive < otp < otp_kba_delay < agent_escalation < deny`.
public enum Outcome: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    case passive
    case otp
    case otpKbaDelay = "otp_kba_delay"
    case agentEscalation = "agent_escalation"
    case deny

    /// Position on the friction ladder, 0 (no friction) to 4 (refused).
    public var rank: Int {
        switch self {
        case .passive: 0
        case .otp: 1
        case .otpKbaDelay: 2
        case .agentEscalation: 3
        case .deny: 4
        }
    }

    /// The outcome with the given rank, if any.
    public init?(rank: Int) {
        guard let outcome = Outcome.allCases.first(where: { $0.rank == rank }) else { return nil }
        self = outcome
    }

    public static func < (lhs: Outcome, rhs: Outcome) -> Bool { lhs.rank < rhs.rank }
}
