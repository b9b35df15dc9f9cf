/// What a decider made of one replayed event.
public struct ReplayResult: Sendable, Hashable {
    /// The outcome the policy selected.
    public var outcome: Outcome
    /// The clamped 0..100 score.
    public var score: Double
    /// Id of the deciding rule.
    public var rule: String

    public init(outcome: Outcome, score: Double, rule: String) {
        self.outcome = outcome
        self.score = score
        self.rule = rule
    }
}

/// Something that decides replayed events one at a time, keeping its own state (SPEC §7).
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
}
