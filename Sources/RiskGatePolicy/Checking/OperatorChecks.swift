/// Types of `not`, negation, `and`/`or`, comparisons, arithmetic and `min`/`max` calls, with
/// constant folding and the help for mismatched types.
extension TypeChecker {
    mutating func checkNot(_ operand: Expression, _ src: ExpressionSource, context: Context, _ d: inout DiagnosticBag) -> (TypedExpression, ValueType)? {
        guard let (a, type) = check(operand, src, context: context, &d) else { return nil }
        guard type == .bool else {
            d.error(.logicTypes, "`not` needs a boolean, found \(article(type))", at: src.position(operand.start),
                    help: type == .number ? "compare the number first, e.g. `not (... >= 0.5)`" : "`not` applies to conditions, e.g. `not device.known`")
            return nil
        }
        if case .constant(.bool(let b)) = a { return (.constant(.bool(!b)), .bool) }
        return (.not(a), .bool)
    }

    mutating func checkNegate(_ operand: Expression, _ src: ExpressionSource, context: Context, _ d: inout DiagnosticBag) -> (TypedExpression, ValueType)? {
        guard let (a, type) = check(operand, src, context: context, &d) else { return nil }
        guard type.isNumeric else {
            d.error(.arithmeticTypes, "cannot negate \(article(type))", at: src.position(operand.start),
                    help: type == .bool ? "use `not` for conditions" : "only numbers and quantities can be negated")
            return nil
        }
        if let v = a.constantValue?.magnitude { return (.constant(Value.make(type, -v)), type) }
        return (.negate(a), type)
    }

    mutating func checkBinary(_ op: BinaryOperator, _ left: Expression, _ right: Expression, _ src: ExpressionSource,
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

    mutating func checkCall(_ name: String, _ arguments: [Expression], at e: Expression, _ src: ExpressionSource,
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
