/// The `compileGraph` stage: lowers a checked policy into a ``CompiledPolicy``.
package enum GraphCompiler {
    package static func compile(_ checked: CheckedPolicy, source: String) -> CompiledPolicy {
        var program = ExpressionProgram(ipSets: checked.lists.ipSets, stringSets: checked.lists.stringSets)
        let scoreRules = checked.scoreRules.map { rule in
            CompiledScoreRule(id: rule.id, when: rule.when.map { program.lower($0) } ?? -1,
                              points: program.lower(rule.points), reason: rule.reason)
        }
        var rules: [GraphRule] = []
        func add(_ rule: CheckedDecideRule, parent: Int) {
            let index = rules.count
            rules.append(GraphRule(id: rule.id, condition: rule.when.map { program.lower($0) } ?? -1, whenText: rule.whenText,
                                   outcome: rule.outcome, end: index + 1, parent: parent,
                                   parts: rule.parts.map { ($0.text, program.lower($0.condition)) }))
            for child in rule.rules ?? [] { add(child, parent: index) }
            rules[index].end = rules.count
        }
        for rule in checked.decide { add(rule, parent: -1) }
        let fallbackConditions = checked.fallbacks.map { $0.map { program.lower($0) } ?? -1 }
        var challenges = checked.document.challenges
        challenges.fallbacks = zip(checked.document.fallbacks, fallbackConditions.indices).map {
            ChallengePolicy.Fallback(conditionIndex: $1, replace: $0.replace, with: $0.with)
        }
        return CompiledPolicy(
            name: checked.document.name?.value ?? "",
            description: checked.document.description,
            hash: "sha256:" + SHA256.hash(Array(source.utf8)).hexString,
            settings: checked.document.settings,
            challenges: challenges,
            bands: checked.document.bands,
            usedSignals: checked.usedSignals.sorted { $0.rawValue < $1.rawValue },
            anonymousIPs: checked.lists.anonymous,
            program: program, scoreRules: scoreRules, rules: rules, fallbackConditions: fallbackConditions)
    }
}
