import RiskGatePolicy

/// What a decider made of one replayed event.
public struct ReplayResult: Sendable, Hashable {
    /// The outcome the policy selected.
    public var outcome: Outcome
    /// The clamped 0..100 score.
    public var score: Double
    /// Id of the deciding rule.
    public var rule: String
    /// Indexes (in ``RuleCatalogue/score``) of the score rules that gave this event points.
    public var scoreRulesFired: [Int32] = []
    /// Points each fired rule gave, in the order of ``scoreRulesFired``.
    public var scorePoints: [Double] = []
    /// An attack stopped by `rule` that no other non-passive decide rule would have stopped.
    public var uniqueCatch = false
    /// For an account takeover let through (`passive`): the boolean signals that were true.
    public var signalsOn: [String]? = nil

    public init(outcome: Outcome, score: Double, rule: String) {
        self.outcome = outcome
        self.score = score
        self.rule = rule
    }
}

/// The rules of the policy a decider runs, so a replay report can list every rule, including
/// those that never matched.
public struct RuleCatalogue: Sendable, Hashable {
    /// Decide rules that select an outcome (groups left out), in policy order.
    public var decide: [String]
    /// Score rules, in policy order (``ReplayResult/scoreRulesFired`` indexes this list).
    public var score: [String]
    public init(decide: [String], score: [String]) { self.decide = decide; self.score = score }
}

/// Something that decides replayed events one at a time, keeping its own state (docs/replay.md).
///
/// The replay harness owns the event stream and the report; the decider owns everything that
/// makes replay stateful: it starts from its initial store, and for every event it decides,
/// then updates history, devices, templates, counters and lockouts as the service would. It
/// also plays the user's side of the challenge: when `attackerFailsChallenges` is true (the
/// event is labelled an attack) every challenge step fails — counting toward lockout — and a
/// `passive` outcome lets the attacker in (and into the user's history); otherwise every step
/// passes.
///
/// The harness calls a decider from one thread at a time (not always the same one), in time
/// order. A baseline and a
/// candidate are separate instances with separate state that see the same stream.
public protocol ReplayDecider: AnyObject {
    /// Decides `event` and applies its consequences to this decider's state.
    ///
    /// - Throws: only for failures that should stop the replay (for example, the state store
    ///   cannot be written); the harness reports the event's line and stops.
    func replay(_ event: RequestContext, attackerFailsChallenges: Bool) throws -> ReplayResult

    /// The policy's rules, when the decider runs one; `nil` leaves the report's `rules` to the rules seen.
    var ruleCatalogue: RuleCatalogue? { get }
}

extension ReplayDecider {
    public var ruleCatalogue: RuleCatalogue? { nil }
}
