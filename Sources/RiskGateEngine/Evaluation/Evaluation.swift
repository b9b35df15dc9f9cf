import RiskGatePolicy

/// The result of running a policy on one request's signals; reuse one value across requests so
/// evaluation allocates nothing.
public struct Evaluation: Sendable, Hashable {
    /// The selected outcome.
    public var outcome: Outcome = .deny
    /// Index of the deciding rule in ``CompiledPolicy/ruleIDs``; -1 before evaluation.
    public var ruleIndex: Int = -1
    /// The clamped 0..100 score.
    public var score: Double = 0
    /// The sum of the points before clamping.
    public var rawScore: Double = 0
    /// `low`, `medium` or `high`.
    public var band: String = "low"
    /// Points of each score rule, indexed like ``CompiledPolicy/scoreRuleIDs`` (0 when it did not apply).
    public var points: [Double] = []

    public init() {}
}

extension CompiledPolicy {
    /// Scores the request, writes `score` and `score.band` into `signals`, then walks the decision graph.
    ///
    /// Score rules whose `when` is false, or whose points are unavailable, add 0. The decision graph
    /// is ordered and the first matching rule wins at each level; when a group matches but none of its
    /// rules do, evaluation continues after the group.
    ///
    /// - Complexity: linear in the size of the policy; allocates nothing when `result` is reused.
    public func evaluate(_ signals: inout SignalValues, into result: inout Evaluation) {
        if result.points.count != scoreRules.count {
            result.points = [Double](repeating: 0, count: scoreRules.count)
        }
        let (raw, score, band, hit) = signals.slots.withUnsafeMutableBufferPointer { slots in
            result.points.withUnsafeMutableBufferPointer { points in run(slots, points: points) }
        }
        result.rawScore = raw
        result.score = score
        result.band = band
        result.ruleIndex = hit
        // A compiled policy always ends with a rule that matches; refuse if that were ever not so.
        result.outcome = hit >= 0 ? (rules[hit].outcome ?? .deny) : .deny
    }

    /// Whether fallback `index` (``ChallengePolicy/Fallback/conditionIndex``) applies to this request.
    public func fallbackApplies(_ index: Int, signals: SignalValues) -> Bool {
        guard fallbackConditions.indices.contains(index) else { return false }
        let root = fallbackConditions[index]
        return signals.slots.withUnsafeBufferPointer { holds(root, $0) }
    }

    /// Convenience for callers that do not reuse buffers.
    public func evaluate(_ signals: SignalValues) -> (Evaluation, SignalValues) {
        var copy = signals
        var result = Evaluation()
        evaluate(&copy, into: &result)
        return (result, copy)
    }
}

extension CompiledPolicy {
    /// Whether a decide rule other than the one at `except` that selects anything but `passive`
    /// matches these signals (its own condition and every enclosing group's hold): replay's test of
    /// a unique catch.
    ///
    /// - Complexity: linear in the number of decide rules.
    package func anotherNonPassiveRuleMatches(except: Int, signals: SignalValues) -> Bool {
        signals.slots.withUnsafeBufferPointer { anotherNonPassiveRuleMatches(except: except, $0) }
    }
}
