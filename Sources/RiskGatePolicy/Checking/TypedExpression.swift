/// An expression after names are resolved and types checked: the input of analysis and compilation.
package indirect enum TypedExpression: Sendable, Hashable {
    case constant(Value)
    case signal(Signal)
    case not(TypedExpression)
    case and(TypedExpression, TypedExpression)
    case or(TypedExpression, TypedExpression)
    /// Both operands have the same type.
    case compare(ComparisonOperator, TypedExpression, TypedExpression)
    /// `scale` multiplies the result (3600 for distance / duration → km/h).
    case arithmetic(ArithmeticOperator, TypedExpression, TypedExpression, result: ValueType, scale: Double)
    case negate(TypedExpression)
    case extremum(max: Bool, TypedExpression, TypedExpression)
    case member(TypedExpression, SetReference, negated: Bool)

    /// The constant value, when this is a constant.
    package var constantValue: Value? {
        if case .constant(let v) = self { return v }
        return nil
    }

    /// Whether the expression is a number or quantity (what arithmetic and ordering apply to).
    package var isNumeric: Bool {
        switch self {
        case .constant(let v): v.type?.isNumeric ?? false
        case .signal(let s): s.type.isNumeric
        case .arithmetic, .negate: true
        case .extremum(_, let a, _): a.isNumeric
        case .not, .and, .or, .compare, .member: false
        }
    }

    /// Every signal read.
    package func collectSignals(into set: inout Set<Signal>) {
        switch self {
        case .constant: break
        case .signal(let s): set.insert(s)
        case .not(let a), .negate(let a): a.collectSignals(into: &set)
        case .member(let a, _, _): a.collectSignals(into: &set)
        case .and(let a, let b), .or(let a, let b), .compare(_, let a, let b), .arithmetic(_, let a, let b, _, _), .extremum(_, let a, let b):
            a.collectSignals(into: &set)
            b.collectSignals(into: &set)
        }
    }

    /// A canonical rendering, used to recognise the same sub-condition in different rules.
    package var canonical: String {
        switch self {
        case .constant(let v): v.description
        case .signal(let s): s.name
        case .not(let a): "not (\(a.canonical))"
        case .and(let a, let b): "(\(a.canonical) and \(b.canonical))"
        case .or(let a, let b): "(\(a.canonical) or \(b.canonical))"
        case .compare(let op, let a, let b): "(\(a.canonical) \(op.rawValue) \(b.canonical))"
        case .arithmetic(let op, let a, let b, _, _): "(\(a.canonical) \(op.rawValue) \(b.canonical))"
        case .negate(let a): "-(\(a.canonical))"
        case .extremum(let isMax, let a, let b): "\(isMax ? "max" : "min")(\(a.canonical), \(b.canonical))"
        case .member(let a, let set, let negated): "(\(a.canonical) \(negated ? "not in" : "in") \(set.canonical))"
        }
    }
}

package enum ComparisonOperator: String, Sendable, Hashable {
    case equal = "==", notEqual = "!=", less = "<", lessEqual = "<=", greater = ">", greaterEqual = ">="

    /// The operator with its operands swapped (`a < b` is `b > a`).
    package var swapped: ComparisonOperator {
        switch self {
        case .equal, .notEqual: self
        case .less: .greater
        case .lessEqual: .greaterEqual
        case .greater: .less
        case .greaterEqual: .lessEqual
        }
    }
}

package enum ArithmeticOperator: String, Sendable, Hashable {
    case add = "+", subtract = "-", multiply = "*", divide = "/"
}

/// What the right side of `in` names.
package enum SetReference: Sendable, Hashable {
    case ipList(index: Int, name: String)
    case stringList(index: Int, name: String)
    case strings([String])
    case numbers([Double])
    case ips(IPSet, text: String)

    var canonical: String {
        switch self {
        case .ipList(_, let name), .stringList(_, let name): name
        case .strings(let items): "[" + items.sorted().map { "\"\($0)\"" }.joined(separator: ", ") + "]"
        case .numbers(let items): "[" + items.sorted().map { Value.format($0) }.joined(separator: ", ") + "]"
        case .ips(_, let text): text
        }
    }
}
