/// The `resolveNames` and `typeCheck` stages over every expression of a policy.
///
/// Names resolve to signals (`ip` alone means `ip.address`), settings (constants) or lists (only
/// after `in`). Each sub-expression gets a static type; errors are reported once, at the
/// innermost offending place, and their parents stay silent.
package struct TypeChecker {
    /// What an expression is: a decide rule's condition, a score rule's points or condition
    /// (neither may read the score, which they make up), or a fallback's condition.
    package enum Context: Sendable { case condition, points, scoreCondition, fallback }

    let lists: ResolvedLists
    let settings: [String: Value]
    var usedLists: Set<String> = []

    static let functions = ["min", "max"]
    /// Values a string signal can take, for typo warnings in comparisons.
    static let knownStrings: [Signal: [String]] = [
        .channel: RequestContext.channels,
        .scoreBand: ["low", "medium", "high"],
    ]

    package init(lists: ResolvedLists, settings: [String: Value]) {
        self.lists = lists
        self.settings = settings
    }

    /// The whole stage: every rule, point and fallback expression.
    package static func check(_ document: PolicyDocument, lists: ResolvedLists, diagnostics d: inout DiagnosticBag) -> CheckedPolicy {
        var checker = TypeChecker(lists: lists, settings: document.settingValues)
        var result = CheckedPolicy(document: document, lists: lists)

        var scoreIDs: [String: SourcePosition] = [:]
        for rule in document.scoreRules {
            if let first = scoreIDs[rule.id.value] {
                d.error(.duplicateRuleID, "duplicate score rule id `\(rule.id.value)`", at: rule.id.position, help: "first used at line \(first.line)")
            } else {
                scoreIDs[rule.id.value] = rule.id.position
            }
            let when = rule.when.flatMap { checker.checkTop($0, context: .scoreCondition, &d) }
            let points = rule.points.flatMap { checker.checkTop($0, context: .points, &d) }
            guard let points else { continue }
            if rule.when != nil && when == nil { continue }
            let reason = rule.reason ?? rule.when?.text ?? rule.points?.text ?? rule.id.value
            result.scoreRules.append(CheckedScoreRule(id: rule.id.value, when: when, points: points, reason: reason))
        }

        var decideIDs: [String: SourcePosition] = [:]
        result.decide = document.decide.map { checker.checkRule($0, ids: &decideIDs, &d) }
        result.fallbacks = document.fallbacks.map { f in f.when.flatMap { checker.checkTop($0, context: .fallback, &d) } }

        for rule in result.scoreRules {
            rule.when?.collectSignals(into: &result.usedSignals)
            rule.points.collectSignals(into: &result.usedSignals)
        }
        func collect(_ rules: [CheckedDecideRule]) {
            for r in rules {
                r.when?.collectSignals(into: &result.usedSignals)
                if let nested = r.rules { collect(nested) }
            }
        }
        collect(result.decide)
        for f in result.fallbacks { f?.collectSignals(into: &result.usedSignals) }

        for (name, entry) in lists.byName where !checker.usedLists.contains(name) {
            d.warning(.unusedList, "list `\(name)` is never used", at: entry.position, help: "use it with `in`, or remove it")
        }
        return result
    }

    private mutating func checkRule(_ rule: DecideRule, ids: inout [String: SourcePosition], _ d: inout DiagnosticBag) -> CheckedDecideRule {
        if let first = ids[rule.id.value] {
            d.error(.duplicateRuleID, "duplicate rule id `\(rule.id.value)`", at: rule.id.position,
                    help: "first used at line \(first.line); ids name rules in decisions and must be unique")
        } else {
            ids[rule.id.value] = rule.id.position
        }
        var checked = CheckedDecideRule(id: rule.id.value, position: rule.position)
        checked.outcome = rule.outcome?.value
        if let source = rule.when {
            checked.whenText = source.text
            if let typed = checkTop(source, context: .condition, &d) {
                checked.when = typed
                checked.parts = parts(of: source)
            } else {
                checked.conditionFailed = true
            }
        }
        if (rule.outcome == nil) == (rule.rules == nil) { checked.conditionFailed = true }
        checked.rules = rule.rules?.map { checkRule($0, ids: &ids, &d) }
        return checked
    }

    /// The top-level operands of a condition's `and`/`or` chain with their texts.
    private mutating func parts(of source: ExpressionSource) -> [(text: String, condition: TypedExpression)] {
        guard let e = source.expression else { return [] }
        var operands: [Expression] = []
        func flatten(_ e: Expression, _ op: BinaryOperator) {
            if case .binary(let o, let a, let b) = e.kind, o == op {
                flatten(a, op)
                flatten(b, op)
            } else {
                operands.append(e)
            }
        }
        if case .binary(let op, _, _) = e.kind, op == .and || op == .or { flatten(e, op) } else { operands = [e] }
        var scratch = DiagnosticBag(file: "", source: "")
        let used = usedLists
        defer { usedLists = used }
        return operands.compactMap { part in
            check(part, source, context: .condition, &scratch).map { (source.text(of: part), $0.0) }
        }
    }

    /// Checks an expression that must be boolean (conditions) or a number (points).
    package mutating func checkTop(_ source: ExpressionSource, context: Context, _ d: inout DiagnosticBag) -> TypedExpression? {
        guard let e = source.expression, let (typed, type) = check(e, source, context: context, &d) else { return nil }
        switch context {
        case .condition, .scoreCondition, .fallback:
            if type != .bool {
                d.error(.conditionNotBool, "condition is \(article(type)), not a boolean", at: source.position(e.start),
                        help: type == .number ? "compare it, e.g. `\(source.text) >= 0.5`" : "a condition must be true or false")
                return nil
            }
        case .points:
            if type != .number {
                d.error(.pointsNotNumber, "`points` is \(article(type)), not a number", at: source.position(e.start),
                        help: type == .bool ? "put the condition in `when:` and a number in `points:`" : "points are plain numbers")
                return nil
            }
        }
        return typed
    }

    func article(_ type: ValueType) -> String {
        switch type {
        case .ip: "an ip"
        default: "a \(type)"
        }
    }

    /// Checks one expression, returning its typed form and type, or `nil` after reporting.
    ///
    /// Each kind of node is checked by its own function: this one recurses once per level of the
    /// tree, so its stack frame is kept small (a debug build once spent 7 KB a level here).
    mutating func check(_ e: Expression, _ src: ExpressionSource, context: Context, _ d: inout DiagnosticBag) -> (TypedExpression, ValueType)? {
        switch e.kind {
        case .number(let v): return (.constant(.number(v)), .number)
        case .quantity(let v, let type): return (.constant(Value.make(type, v)), type)
        case .string(let s): return (.constant(.string(s)), .string)
        case .bool(let b): return (.constant(.bool(b)), .bool)
        case .name(let name): return resolve(name, at: e, src, context: context, &d)
        case .list:
            d.error(.membershipTypes, "a list can only follow `in`", at: src.position(e.start), help: "e.g. `channel in [\"chat\", \"voice\"]`")
            return nil
        case .not(let operand): return checkNot(operand, src, context: context, &d)
        case .negate(let operand): return checkNegate(operand, src, context: context, &d)
        case .binary(let op, let left, let right): return checkBinary(op, left, right, src, context: context, &d)
        case .membership(let left, let right, let negated): return checkMembership(left, right, negated: negated, src, context: context, &d)
        case .call(let name, let arguments): return checkCall(name, arguments, at: e, src, context: context, &d)
        }
    }
}
