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
        let program = self.program
        var raw = 0.0
        program.nodes.withUnsafeBufferPointer { nodes in
            signals.slots.withUnsafeBufferPointer { slots in
                let machine = ExpressionMachine(nodes: nodes, signals: slots, program: program)
                scoreRules.withUnsafeBufferPointer { rules in
                    for i in 0..<rules.count {
                        let when = rules[i].when
                        var points = 0.0
                        if when < 0 || machine.truth(when), let v = machine.value(rules[i].points).magnitude {
                            points = v
                        }
                        result.points[i] = points
                        raw += points
                    }
                }
            }
        }
        let score = Swift.max(0, Swift.min(100, raw))
        let band = bands.band(of: score)
        signals[.score] = .number(score)
        signals[.scoreBand] = .string(band)
        result.rawScore = raw
        result.score = score
        result.band = band

        var hit = -1
        program.nodes.withUnsafeBufferPointer { nodes in
            signals.slots.withUnsafeBufferPointer { slots in
                let machine = ExpressionMachine(nodes: nodes, signals: slots, program: program)
                rules.withUnsafeBufferPointer { rules in
                    hit = CompiledPolicy.walk(rules, from: 0, to: rules.count, machine)
                }
            }
        }
        result.ruleIndex = hit
        // A compiled policy always ends with a rule that matches; refuse if that were ever not so.
        result.outcome = hit >= 0 ? (rules[hit].outcome ?? .deny) : .deny
    }

    private static func walk(_ rules: UnsafeBufferPointer<GraphRule>, from start: Int, to end: Int, _ machine: ExpressionMachine) -> Int {
        var i = start
        while i < end {
            let condition = rules[i].condition
            if condition < 0 || machine.truth(condition) {
                if rules[i].outcome != nil { return i }
                let hit = walk(rules, from: i + 1, to: rules[i].end, machine)
                if hit >= 0 { return hit }
            }
            i = rules[i].end
        }
        return -1
    }

    /// Whether fallback `index` (``ChallengePolicy/Fallback/conditionIndex``) applies to this request.
    public func fallbackApplies(_ index: Int, signals: SignalValues) -> Bool {
        guard fallbackConditions.indices.contains(index) else { return false }
        let root = fallbackConditions[index]
        if root < 0 { return true }
        return withMachine(signals) { $0.truth(root) }
    }

    /// Convenience for callers that do not reuse buffers.
    public func evaluate(_ signals: SignalValues) -> (Evaluation, SignalValues) {
        var copy = signals
        var result = Evaluation()
        evaluate(&copy, into: &result)
        return (result, copy)
    }

    func withMachine<T>(_ signals: SignalValues, _ body: (ExpressionMachine) -> T) -> T {
        let program = self.program
        return program.nodes.withUnsafeBufferPointer { nodes in
            signals.slots.withUnsafeBufferPointer { slots in
                body(ExpressionMachine(nodes: nodes, signals: slots, program: program))
            }
        }
    }
}

extension CompiledPolicy {
    /// Whether a decide rule other than the one at `except` that selects anything but `passive`
    /// matches these signals (its own condition and every enclosing group's hold): replay's test of
    /// a unique catch.
    ///
    /// - Complexity: linear in the number of decide rules.
    package func anotherNonPassiveRuleMatches(except: Int, signals: SignalValues) -> Bool {
        var found = false
        program.nodes.withUnsafeBufferPointer { nodes in
            signals.slots.withUnsafeBufferPointer { slots in
                let machine = ExpressionMachine(nodes: nodes, signals: slots, program: program)
                rules.withUnsafeBufferPointer { rules in
                    // Whether each rule's condition holds, parents before children (rules are in tree order).
                    var holds = [Bool](repeating: false, count: rules.count)
                    for i in 0..<rules.count {
                        let parent = rules[i].parent
                        guard parent < 0 || holds[parent] else { continue }
                        let condition = rules[i].condition
                        holds[i] = condition < 0 || machine.truth(condition)
                        if holds[i], i != except, let outcome = rules[i].outcome, outcome != .passive {
                            found = true
                            return
                        }
                    }
                }
            }
        }
        return found
    }
}
