/// Running a compiled policy's expressions over one request's signal slots.
///
/// The loops over rules live beside ``ExpressionMachine`` (internal to this module), so its calls
/// are direct and the machine never crosses a module boundary; callers hand over the slots once.
extension CompiledPolicy {
    /// Scores `slots`, writes the clamped score and its band into their slots, then finds the
    /// deciding rule: the whole of an evaluation in one call, so an evaluation crosses from the
    /// engine into this module once.
    ///
    /// - Precondition: `points.count == scoreRules.count`.
    package func run(_ slots: UnsafeMutableBufferPointer<Value>, points: UnsafeMutableBufferPointer<Double>)
        -> (raw: Double, score: Double, band: String, rule: Int) {
        let raw = scorePoints(UnsafeBufferPointer(slots), into: points)
        let score = Swift.max(0, Swift.min(100, raw))
        let band = bands.band(of: score)
        slots[Signal.score.rawValue] = .number(score)
        slots[Signal.scoreBand.rawValue] = .string(band)
        return (raw, score, band, decidingRule(UnsafeBufferPointer(slots)))
    }

    /// Writes each score rule's points into `points` (0 when its `when` is false or its points are
    /// unavailable) and returns their sum.
    ///
    /// - Precondition: `points.count == scoreRules.count`.
    private func scorePoints(_ slots: UnsafeBufferPointer<Value>, into points: UnsafeMutableBufferPointer<Double>) -> Double {
        var raw = 0.0
        program.withMachine(slots) { machine in
            scoreRules.withUnsafeBufferPointer { rules in
                for i in 0..<rules.count {
                    let when = rules[i].when
                    var value = 0.0
                    if when < 0 || machine.truth(when), let v = machine.value(rules[i].points).magnitude {
                        value = v
                    }
                    points[i] = value
                    raw += value
                }
            }
        }
        return raw
    }

    /// The index of the rule that decides: the first whose condition holds at each level of the
    /// graph, descending into a matching group and continuing after it when none of its rules
    /// match. -1 when no rule does (a compiled policy always ends with one that matches).
    private func decidingRule(_ slots: UnsafeBufferPointer<Value>) -> Int {
        program.withMachine(slots) { machine in
            rules.withUnsafeBufferPointer { rules in
                Self.walk(rules, from: 0, to: rules.count, machine)
            }
        }
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

    /// Whether expression `root` (a rule's condition or one of its parts, a fallback's condition)
    /// holds over `slots`; a negative root is an absent condition, which holds.
    package func holds(_ root: Int32, _ slots: UnsafeBufferPointer<Value>) -> Bool {
        if root < 0 { return true }
        return program.withMachine(slots) { $0.truth(root) }
    }

    /// Whether a decide rule other than the one at `except` that selects anything but `passive`
    /// matches `slots` (its own condition and every enclosing group's hold): replay's test of a
    /// unique catch.
    ///
    /// - Complexity: linear in the number of decide rules.
    package func anotherNonPassiveRuleMatches(except: Int, _ slots: UnsafeBufferPointer<Value>) -> Bool {
        program.withMachine(slots) { machine in
            rules.withUnsafeBufferPointer { rules in
                // Whether each rule's condition holds, parents before children (rules are in tree order).
                var holds = [Bool](repeating: false, count: rules.count)
                for i in 0..<rules.count {
                    let parent = rules[i].parent
                    guard parent < 0 || holds[parent] else { continue }
                    let condition = rules[i].condition
                    holds[i] = condition < 0 || machine.truth(condition)
                    if holds[i], i != except, let outcome = rules[i].outcome, outcome != .passive { return true }
                }
                return false
            }
        }
    }
}
