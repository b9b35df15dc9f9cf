/// The `resolveNames` and `typeCheck` stages over every expression of a policy.
///
/// Names resolve to signals (`ip` alone means `ip.address`), settings (constants) or lists (only
/// after `in`). Each sub-expression gets a static type; errors are reported once, at the
/// innermost offending place, and their parents stay silent.
package struct TypeChecker {
    /// What an expression is: a decide rule's condition, a score rule's points or condition
    /// (neither may read the score, which they make up), or a fallback's condition.
    package enum Context: Sendable { case condition, points, scoreCondition, fallback }

    private let lists: ResolvedLists
    private let settings: [String: Value]
    private(set) var usedLists: Set<String> = []

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

    private func article(_ type: ValueType) -> String {
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

    private mutating func checkNot(_ operand: Expression, _ src: ExpressionSource, context: Context, _ d: inout DiagnosticBag) -> (TypedExpression, ValueType)? {
        guard let (a, type) = check(operand, src, context: context, &d) else { return nil }
        guard type == .bool else {
            d.error(.logicTypes, "`not` needs a boolean, found \(article(type))", at: src.position(operand.start),
                    help: type == .number ? "compare the number first, e.g. `not (... >= 0.5)`" : "`not` applies to conditions, e.g. `not device.known`")
            return nil
        }
        if case .constant(.bool(let b)) = a { return (.constant(.bool(!b)), .bool) }
        return (.not(a), .bool)
    }

    private mutating func checkNegate(_ operand: Expression, _ src: ExpressionSource, context: Context, _ d: inout DiagnosticBag) -> (TypedExpression, ValueType)? {
        guard let (a, type) = check(operand, src, context: context, &d) else { return nil }
        guard type.isNumeric else {
            d.error(.arithmeticTypes, "cannot negate \(article(type))", at: src.position(operand.start),
                    help: type == .bool ? "use `not` for conditions" : "only numbers and quantities can be negated")
            return nil
        }
        if let v = a.constantValue?.magnitude { return (.constant(Value.make(type, -v)), type) }
        return (.negate(a), type)
    }

    private mutating func checkBinary(_ op: BinaryOperator, _ left: Expression, _ right: Expression, _ src: ExpressionSource,
                                      context: Context, _ d: inout DiagnosticBag) -> (TypedExpression, ValueType)? {
        let l = check(left, src, context: context, &d)
        let r = check(right, src, context: context, &d)
        guard let (a, ta) = l, let (b, tb) = r else { return nil }
        switch op {
        case .and, .or:
            for (side, type) in [(left, ta), (right, tb)] where type != .bool {
                d.error(.logicTypes, "`\(op.rawValue)` needs booleans on both sides, found \(article(type))", at: src.position(side.start),
                        help: type == .number ? "compare the number, e.g. `... >= 0.5`" : "`\(op.rawValue)` joins conditions, e.g. `device.new and ip.anonymous`")
                return nil
            }
            return (op == .and ? .and(a, b) : .or(a, b), .bool)
        case .equal, .notEqual, .less, .lessEqual, .greater, .greaterEqual:
            return compare(op, (a, ta, left), (b, tb, right), src, &d)
        case .add, .subtract, .multiply, .divide:
            return arithmetic(op, (a, ta, left), (b, tb, right), src, &d)
        }
    }

    private mutating func checkMembership(_ left: Expression, _ right: Expression, negated: Bool, _ src: ExpressionSource,
                                          context: Context, _ d: inout DiagnosticBag) -> (TypedExpression, ValueType)? {
        guard let (a, ta) = check(left, src, context: context, &d) else { return nil }
        guard let set = setReference(right, elementType: ta, src, &d) else { return nil }
        if case .signal(let s) = a, let domain = TypeChecker.knownStrings[s], case .strings(let values) = set,
           case .list(let items) = right.kind {
            // Once per distinct value: a list repeating a typo would otherwise repeat the warning.
            var warned: Set<String> = []
            for (value, item) in zip(values, items) where !domain.contains(value) && warned.insert(value).inserted {
                d.warning(.unknownStringValue, "`\(s.name)` is never `\(value)`", at: src.position(item.start),
                          help: Suggestions.didYouMean(value, in: domain) ?? "`\(s.name)` is one of \(domain.map { "`\($0)`" }.joined(separator: ", "))")
            }
        }
        return (.member(a, set, negated: negated), .bool)
    }

    private mutating func checkCall(_ name: String, _ arguments: [Expression], at e: Expression, _ src: ExpressionSource,
                                    context: Context, _ d: inout DiagnosticBag) -> (TypedExpression, ValueType)? {
        guard TypeChecker.functions.contains(name) else {
            d.error(.unknownFunction, "unknown function `\(name)`", at: src.position(e.start),
                    help: Suggestions.didYouMean(name, in: TypeChecker.functions) ?? "functions are `min(a, b)` and `max(a, b)`")
            return nil
        }
        guard arguments.count >= 2 else {
            let help = arguments.count == 1
                ? "`\(name)` of one value is that value: write `\(src.text(of: arguments[0]))` alone, or add another, e.g. `\(name)(\(src.text(of: arguments[0])), 50)`"
                : "e.g. `\(name)(20, 40 * typing.anomaly)`"
            d.error(.wrongArgumentCount, "`\(name)` takes at least 2 arguments, found \(arguments.count)", at: src.position(e.start), help: help)
            return nil
        }
        var typed: [(TypedExpression, ValueType)] = []
        for argument in arguments {
            guard let t = check(argument, src, context: context, &d) else { return nil }
            typed.append(t)
        }
        let type = typed[0].1
        for (i, t) in typed.enumerated() where !t.1.isNumeric || t.1 != type {
            d.error(.arithmeticTypes, "`\(name)` needs numbers or quantities of one kind, found \(article(type)) and \(article(t.1))",
                    at: src.position(arguments[i].start), help: "e.g. `min(20, 40 * typing.anomaly)` or `max(5m, device.age)`")
            return nil
        }
        var result = typed[0].0
        for t in typed.dropFirst() { result = .extremum(max: name == "max", result, t.0) }
        return (result, type)
    }

    private mutating func resolve(_ name: String, at e: Expression, _ src: ExpressionSource, context: Context,
                                  _ d: inout DiagnosticBag) -> (TypedExpression, ValueType)? {
        let signal = name == "ip" ? Signal.ipAddress : Signal(name: name)
        if let signal {
            if context == .points && signal.dependsOnScore {
                d.error(.pointsUseScore, "`points` cannot depend on `\(name)`: the score is the sum of the points", at: src.position(e.start),
                        help: "use `\(name)` in `decide`, or base the points on signals")
                return nil
            }
            if context == .scoreCondition && signal.dependsOnScore {
                d.error(.pointsUseScore, "a score rule's `when` cannot depend on `\(name)`: the score is the sum of the points",
                        at: src.position(e.start), help: "test `\(name)` in a `decide` rule, or base the score rule's `when` on signals")
                return nil
            }
            return (.signal(signal), signal.type)
        }
        if let value = settings[name], let type = value.type { return (.constant(value), type) }
        if lists.byName[name] != nil {
            usedLists.insert(name)
            d.error(.membershipTypes, "`\(name)` is a list; it can only follow `in`", at: src.position(e.start),
                    help: "e.g. `ip in \(name)`")
            return nil
        }
        let candidates = Signal.allNames + Array(settings.keys) + Array(lists.byName.keys)
        let suggestion = Suggestions.closest(to: name, in: candidates)
        // A list named by a "did you mean" counts as used: its one mistake gets no unused warning.
        if let suggestion, lists.byName[suggestion] != nil { usedLists.insert(suggestion) }
        d.error(.unknownName, "unknown signal or setting `\(name)`", at: src.position(e.start),
                help: suggestion.map(Suggestions.didYouMean) ?? "signals are listed in docs/policy-language.md")
        return nil
    }

    private mutating func setReference(_ right: Expression, elementType: ValueType, _ src: ExpressionSource, _ d: inout DiagnosticBag) -> SetReference? {
        switch right.kind {
        case .name(let name):
            guard let entry = lists.byName[name] else {
                let suggestion = Suggestions.closest(to: name, in: lists.byName.keys)
                // A list named by a "did you mean" counts as used: its one mistake gets no unused warning.
                if let suggestion { usedLists.insert(suggestion) }
                d.error(.unknownList, "unknown list `\(name)`", at: src.position(right.start),
                        help: suggestion.map(Suggestions.didYouMean) ?? "define it under `lists:`")
                return nil
            }
            usedLists.insert(name)
            switch (entry.kind, elementType) {
            case (.ip, .ip): return .ipList(index: entry.index, name: name)
            case (.string, .string): return .stringList(index: entry.index, name: name)
            default:
                let listKind = entry.kind == .ip ? "an IP list" : "a list of strings"
                d.error(.membershipTypes, "`\(name)` is \(listKind), but the value tested is \(article(elementType))", at: src.position(right.start),
                        help: entry.kind == .ip ? "test an ip, e.g. `ip in \(name)`" : "test a string signal, e.g. `ip.country in \(name)`")
                return nil
            }
        case .list(let items):
            var strings: [String] = [], numbers: [Double] = [], networks: [IPNetwork] = []
            for item in items {
                switch (item.kind, elementType) {
                case (.string(let s), .string): strings.append(s)
                case (.number(let v), .number): numbers.append(v)
                case (.negate(let inner), .number) where { if case .number = inner.kind { true } else { false } }():
                    if case .number(let v) = inner.kind { numbers.append(-v) }
                case (.string(let s), .ip):
                    if let network = IPNetwork(s) {
                        networks.append(network)
                    } else {
                        d.error(.badCIDR, "`\(s)` is not an IP address or CIDR network", at: src.position(item.start),
                                help: "e.g. `\"203.0.113.0/24\"` or `\"2001:db8::/32\"`")
                        return nil
                    }
                default:
                    d.error(.membershipTypes, "list items must be \(elementType == .ip ? "quoted IPs or CIDRs" : "constants of type \(elementType)") to test \(article(elementType))",
                            at: src.position(item.start), help: listItemHelp(items, elementType: elementType, src))
                    return nil
                }
            }
            switch elementType {
            case .string: return .strings(strings)
            case .number: return .numbers(numbers)
            case .ip: return .ips(IPSet(networks), text: src.text(of: right))
            default:
                d.error(.membershipTypes, "`in` cannot test \(article(elementType))", at: src.position(right.start),
                        help: elementType == .bool ? "test a boolean alone, or with `not`" : "compare it with `==`, `<` or `>` instead")
                return nil
            }
        default:
            d.error(.membershipTypes, "`in` must be followed by a list name or a `[...]` list", at: src.position(right.start),
                    help: elementType == .ip ? "e.g. `ip in office` or `ip in [\"192.0.2.0/24\"]`" : "e.g. `channel in [\"chat\", \"voice\"]`")
            return nil
        }
    }

    /// How to write the items of a `[...]` list for `in`: bare words quoted (`[chat, voice]` as
    /// `["chat", "voice"]`), IPs and CIDRs quoted.
    private func listItemHelp(_ items: [Expression], elementType: ValueType, _ src: ExpressionSource) -> String {
        switch elementType {
        case .string, .ip:
            let quoted = items.map { item -> String in
                if case .string(let s) = item.kind { return "\"\(s)\"" }
                return "\"\(src.text(of: item))\""
            }
            return "quote each item: `[\(quoted.joined(separator: ", "))]`"
        case .number: return "items must be plain numbers, e.g. `[1, 2, 3]`"
        default: return "`in` tests strings, numbers and ips; compare \(article(elementType))s with `==`"
        }
    }

    private func compare(_ op: BinaryOperator, _ l: (TypedExpression, ValueType, Expression), _ r: (TypedExpression, ValueType, Expression),
                         _ src: ExpressionSource, _ d: inout DiagnosticBag) -> (TypedExpression, ValueType)? {
        let comparison = ComparisonOperator(rawValue: op.rawValue)!
        guard l.1 == r.1 else {
            d.error(.comparisonTypes, "cannot compare \(article(l.1)) with \(article(r.1))", at: src.position(r.2.start),
                    help: mismatchHelp(op, l, r, src))
            return nil
        }
        if comparison != .equal && comparison != .notEqual && !l.1.isNumeric {
            d.error(.comparisonTypes, "`\(op.rawValue)` orders numbers and quantities, not \(l.1)s", at: src.position(l.2.start),
                    help: "use `==`, `!=` or `in`")
            return nil
        }
        if l.1 == .string {
            for (signalSide, constantSide, node) in [(l.0, r.0, r.2), (r.0, l.0, l.2)] {
                if case .signal(let s) = signalSide, let domain = TypeChecker.knownStrings[s], case .constant(.string(let v)) = constantSide,
                   !domain.contains(v) {
                    d.warning(.unknownStringValue, "`\(s.name)` is never `\(v)`, so this comparison is always \(comparison == .notEqual ? "true when available" : "false")",
                              at: src.position(node.start),
                              help: Suggestions.didYouMean(v, in: domain) ?? "`\(s.name)` is one of \(domain.map { "`\($0)`" }.joined(separator: ", "))")
                }
            }
        }
        return (.compare(comparison, l.0, r.0), .bool)
    }

    /// How to fix a comparison of two different types: name both types and the usual repair.
    private func mismatchHelp(_ op: BinaryOperator, _ l: (TypedExpression, ValueType, Expression),
                              _ r: (TypedExpression, ValueType, Expression), _ src: ExpressionSource) -> String {
        let (lt, rt) = (l.1, r.1)
        if lt.isNumeric && rt.isNumeric {
            let quantity = lt == .number ? rt : lt
            let example = switch quantity {
            case .speed: "`900 km/h`"
            case .distance: "`50 km`"
            default: "`30s`, `5m`, `2h`, `7d`"
            }
            if lt == .number || rt == .number { return "give the number a unit, e.g. \(example)" }
            return "`\(src.text(of: l.2))` is \(article(lt)) and `\(src.text(of: r.2))` is \(article(rt)): give both sides the same unit, e.g. \(example)"
        }
        // A quoted number (`ip.asn == "13335"`), or a quoted boolean.
        for (side, other) in [(l, r), (r, l)] {
            guard case .constant(.string(let text)) = side.0 else { continue }
            if other.1 == .number, Double(text) != nil {
                return "`\(src.text(of: other.2))` is a number: drop the quotes, e.g. `\(src.text(of: other.2)) \(op.rawValue) \(text)`"
            }
            if other.1 == .bool { return "`\(src.text(of: other.2))` is a boolean: test it alone, e.g. `\(src.text(of: other.2))` or `not \(src.text(of: other.2))`" }
            if other.1 == .ip { return "test an ip against addresses or networks with `in`, e.g. `\(src.text(of: other.2)) in [\"\(text)\"]`" }
        }
        return "`\(src.text(of: l.2))` is \(article(lt)) and `\(src.text(of: r.2))` is \(article(rt)); compare values of the same type"
    }

    private func arithmetic(_ op: BinaryOperator, _ l: (TypedExpression, ValueType, Expression), _ r: (TypedExpression, ValueType, Expression),
                            _ src: ExpressionSource, _ d: inout DiagnosticBag) -> (TypedExpression, ValueType)? {
        let (a, ta, _) = l, (b, tb, _) = r
        var result: ValueType? = nil
        var scale = 1.0
        if ta.isNumeric && tb.isNumeric {
            switch op {
            case .add, .subtract: if ta == tb { result = ta }
            case .multiply:
                if ta == .number { result = tb } else if tb == .number { result = ta }
            case .divide:
                if tb == .number { result = ta }
                else if ta == tb { result = .number }
                else if ta == .distance && tb == .duration { result = .speed; scale = 3600 }
            default: break
            }
        }
        guard let type = result else {
            d.error(.arithmeticTypes, "cannot apply `\(op.rawValue)` to \(article(ta)) and \(article(tb))", at: src.position(r.2.start),
                    help: ta == tb ? "`\(op.rawValue)` works on numbers and quantities only" : "both sides must be numbers, or quantities of the same kind")
            return nil
        }
        let arithmeticOp = ArithmeticOperator(rawValue: op.rawValue)!
        if let x = a.constantValue?.magnitude, let y = b.constantValue?.magnitude {
            let v: Double = switch arithmeticOp {
            case .add: x + y
            case .subtract: x - y
            case .multiply: x * y
            case .divide: x / y * scale
            }
            if v.isFinite { return (.constant(Value.make(type, v)), type) }
        }
        return (.arithmetic(arithmeticOp, a, b, result: type, scale: scale), type)
    }
}
