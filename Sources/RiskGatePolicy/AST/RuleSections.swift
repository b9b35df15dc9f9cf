/// The `score` and `decide` sections: score rules, bands and the (nested) decide rules.
extension ASTBuilder {
    // MARK: Score

    mutating func buildScore(_ node: YAMLNode, _ d: inout DiagnosticBag) {
        guard let entries = mapping(node, "`score`", &d) else { return }
        for entry in entries {
            switch entry.name {
            case "rules":
                guard let items = sequence(entry.value, "`score.rules`", &d) else { continue }
                for (n, item) in items.enumerated() {
                    guard let fields = mapping(item, "a score rule", &d) else { continue }
                    var rule = ScoreRule(id: Located("#\(n + 1)", item.position), position: item.position)
                    var sawID = false
                    for field in fields {
                        switch field.name {
                        case "id":
                            if let id = ruleID(field.value, &d) { rule.id = id; sawID = true }
                        case "when": rule.when = expression(field.value, &d)
                        case "points": rule.points = expression(field.value, &d)
                        case "reason": rule.reason = scalar(field.value, "reason", &d)
                        default:
                            unknownKey(field, in: ASTBuilder.scoreRuleKeys, where: "in a score rule",
                                       missing: ASTBuilder.absent(["id", "points"], from: fields), &d)
                        }
                    }
                    let misspelt = { (key: String) in ASTBuilder.isMisspelt(key, in: fields, known: ASTBuilder.scoreRuleKeys) }
                    if !sawID && !misspelt("id") { d.error(.missingKey, "score rule has no `id`", at: item.position, help: "add `id: NAME`; ids name rules in decisions") }
                    if fields.first(where: { $0.name == "points" }) == nil && !misspelt("points") {
                        d.error(.missingKey, "score rule `\(rule.id.value)` has no `points`", at: item.position, help: "add `points: 20`")
                    }
                    document.scoreRules.append(rule)
                }
            case "bands":
                document.bandsPosition = entry.value.position
                guard let fields = mapping(entry.value, "`score.bands`", &d) else { continue }
                for field in fields {
                    switch field.name {
                    case "medium": if let v = number(field.value, &d) { document.bands.medium = v }
                    case "high": if let v = number(field.value, &d) { document.bands.high = v }
                    default: unknownKey(field, in: ["medium", "high"], where: "in `score.bands`", &d)
                    }
                }
                let b = document.bands
                if !(b.medium > 0 && b.medium < b.high && b.high <= 100) {
                    let swapped = b.high > 0 && b.high < b.medium && b.medium <= 100
                    d.error(.bandsOutOfOrder, "bands must satisfy 0 < medium < high <= 100, found medium \(Value.format(b.medium)) and high \(Value.format(b.high))",
                            at: entry.value.position,
                            help: swapped ? "swap them: `bands: { medium: \(Value.format(b.high)), high: \(Value.format(b.medium)) }`"
                                : "scores run from 0 to 100, e.g. `bands: { medium: 40, high: 70 }`")
                }
            default:
                unknownKey(entry, in: ["rules", "bands"], where: "in `score`", &d)
            }
        }
    }

    // MARK: Decide

    mutating func buildDecideRule(_ node: YAMLNode, depth: Int, _ d: inout DiagnosticBag) -> DecideRule {
        var rule = DecideRule(id: Located("#?", node.position), position: node.position)
        guard let fields = mapping(node, "a decide rule", &d) else { return rule }
        var sawID = false
        for field in fields {
            switch field.name {
            case "id":
                if let id = ruleID(field.value, &d) { rule.id = id; sawID = true }
            case "when": rule.when = expression(field.value, &d)
            case "reason": _ = scalar(field.value, "reason", &d)
            case "outcome":
                guard let name = scalar(field.value, "outcome", &d) else { continue }
                if let outcome = Outcome(rawValue: name) {
                    rule.outcome = Located(outcome, field.value.position)
                } else {
                    d.error(.unknownOutcome, "unknown outcome `\(name)`", at: field.value.position,
                            help: Suggestions.didYouMean(name, in: ASTBuilder.outcomeNames) ?? "outcomes are \(ASTBuilder.outcomeNames.map { "`\($0)`" }.joined(separator: ", "))")
                }
            case "rules":
                guard let items = sequence(field.value, "`rules`", &d) else { continue }
                if items.isEmpty {
                    d.warning(.emptyGroup, "group has no rules", at: field.value.position, help: "remove the group or add rules to it")
                }
                rule.rules = items.map { buildDecideRule($0, depth: depth + 1, &d) }
            default:
                let required = fields.contains { $0.name == "outcome" || $0.name == "rules" } ? ["id"] : ["id", "outcome", "rules"]
                unknownKey(field, in: ASTBuilder.decideRuleKeys, where: "in a decide rule",
                           missing: ASTBuilder.absent(required, from: fields), &d)
            }
        }
        let misspelt = { (key: String) in ASTBuilder.isMisspelt(key, in: fields, known: ASTBuilder.decideRuleKeys) }
        if !sawID && !misspelt("id") { d.error(.missingKey, "decide rule has no `id`", at: node.position, help: "add `id: NAME`; ids name rules in decisions") }
        let hasOutcome = fields.contains { $0.name == "outcome" }
        let hasRules = fields.contains { $0.name == "rules" }
        if hasOutcome && hasRules {
            d.error(.outcomeAndRules, "rule `\(rule.id.value)` has both `outcome` and `rules`", at: node.position,
                    help: "a rule either decides (`outcome`) or groups further rules (`rules`)")
        } else if !hasOutcome && !hasRules && !misspelt("outcome") && !misspelt("rules") {
            d.error(.missingKey, "rule `\(rule.id.value)` has neither `outcome` nor `rules`", at: node.position,
                    help: "add `outcome: passive` (or another outcome)")
        }
        return rule
    }
}
