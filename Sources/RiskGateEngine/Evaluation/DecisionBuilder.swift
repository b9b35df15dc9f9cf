import RiskGatePolicy

extension CompiledPolicy {
    /// Turns an evaluation into the decision clients get: deciding rule, path, contributions and,
    /// with `explain`, every used signal's value and the deciding rules' sub-conditions.
    ///
    /// `signals` must be the values ``evaluate(_:into:)`` ran on (with `score` written in).
    /// The challenge is left for the engine that creates it.
    public func decision(id: String, signals: SignalValues, evaluation: Evaluation, explain: Bool) -> Decision {
        var path: [String] = []
        var chain: [Int] = []
        var i = evaluation.ruleIndex
        while i >= 0 && i < rules.count {
            chain.append(i)
            i = rules[i].parent
        }
        chain.reverse()
        path = chain.map { rules[$0].id }
        var contributions: [Decision.Contribution] = []
        for (index, rule) in scoreRules.enumerated() where index < evaluation.points.count && evaluation.points[index] != 0 {
            contributions.append(Decision.Contribution(id: rule.id, points: evaluation.points[index], reason: rule.reason))
        }
        var explanation: Decision.Explanation? = nil
        if explain {
            let values = usedSignalValues(signals) { _, _ in true }
            var conditions: [Decision.Explanation.Condition] = []
            signals.slots.withUnsafeBufferPointer { slots in
                for index in chain {
                    let rule = rules[index]
                    guard let text = rule.whenText, rule.condition >= 0 else { continue }
                    conditions.append(.init(rule: rule.id, condition: text, value: holds(rule.condition, slots)))
                    if rule.parts.count > 1 {
                        for part in rule.parts {
                            conditions.append(.init(rule: rule.id, condition: part.text, value: holds(part.condition, slots)))
                        }
                    }
                }
            }
            explanation = Decision.Explanation(signals: values, conditions: conditions)
        }
        return Decision(id: id, outcome: evaluation.outcome, score: evaluation.score, band: evaluation.band,
                        rule: evaluation.ruleIndex >= 0 && evaluation.ruleIndex < rules.count ? rules[evaluation.ruleIndex].id : "",
                        path: path, contributions: contributions, policy: reference, explanation: explanation)
    }

    /// The used signals the audit log may hold (``AuditEvent/redactedSignals(_:)`` of an
    /// explanation's signals), built in one pass.
    public func redactedSignalValues(_ signals: SignalValues) -> [String: JSONValue] {
        usedSignalValues(signals, keeping: AuditEvent.keeps)
    }

    /// ``redactedSignalValues(_:)`` as the audit record stores it: compact JSON with sorted keys,
    /// the bytes `JSONWriter.object` writes for that dictionary (the hash chain covers them).
    /// Written straight from the slots in the names' order, without building a dictionary and
    /// sorting its keys for every decision.
    public func redactedSignalsJSON(_ signals: SignalValues) -> String {
        var w = JSONWriter(escapesSlashes: false, capacity: 512)
        do throws(JSONWriter.Failure) {
            try w.beginObject()
            for signal in usedSignalsByName {
                let value = signals[signal].jsonValue
                guard AuditEvent.keeps(signal.name, value) else { continue }
                w.key(signal.name)
                try w.json(value)
            }
            w.endObject()
        } catch {
            return "null"
        }
        return w.text
    }

    /// Every signal the policy uses, by name, with its value in `signals` (what an explanation
    /// lists), less those `keep` refuses.
    private func usedSignalValues(_ signals: SignalValues, keeping keep: (String, JSONValue) -> Bool) -> [String: JSONValue] {
        var values: [String: JSONValue] = [:]
        values.reserveCapacity(usedSignals.count)
        for signal in usedSignals {
            let value = signals[signal].jsonValue
            if keep(signal.name, value) { values[signal.name] = value }
        }
        return values
    }
}
