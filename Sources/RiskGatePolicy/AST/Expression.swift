/// An expression as written (`when`, `points`, fallback conditions), before names are resolved.
///
/// Offsets are Unicode-scalar offsets into the expression's text; ``ExpressionSource`` maps them
/// to file positions.
package indirect enum ExpressionKind: Sendable, Hashable {
    case number(Double)
    /// A number with a unit, in canonical units (seconds, km/h, km).
    case quantity(Double, ValueType)
    case string(String)
    case bool(Bool)
    /// A dotted name: a signal, a setting or a list.
    case name(String)
    case list([Expression])
    case not(Expression)
    case negate(Expression)
    case binary(BinaryOperator, Expression, Expression)
    /// `a in b`, `a not in b`.
    case membership(Expression, Expression, negated: Bool)
    case call(String, [Expression])
}

package enum BinaryOperator: String, Sendable, Hashable {
    case or, and
    case equal = "==", notEqual = "!=", less = "<", lessEqual = "<=", greater = ">", greaterEqual = ">="
    case add = "+", subtract = "-", multiply = "*", divide = "/"

    var isComparison: Bool {
        switch self {
        case .equal, .notEqual, .less, .lessEqual, .greater, .greaterEqual: true
        default: false
        }
    }
}

package struct Expression: Sendable, Hashable {
    package var kind: ExpressionKind
    /// Offset of the first scalar of this expression in the source text.
    package var start: Int
    /// Offset just past its last scalar.
    package var end: Int

    package init(_ kind: ExpressionKind, start: Int, end: Int) {
        self.kind = kind
        self.start = start
        self.end = end
    }
}

/// An expression's text with the means to place diagnostics inside it.
package struct ExpressionSource: Sendable {
    package var text: String
    package var locator: ScalarLocator
    /// The parsed tree; `nil` when it did not parse (already diagnosed).
    package var expression: Expression?

    package func position(_ offset: Int) -> SourcePosition { locator.position(at: offset) }

    /// The source text of a sub-expression.
    package func text(of e: Expression) -> String {
        // Offsets count scalars; walking the scalar view to them copies nothing.
        let scalars = text.unicodeScalars
        let count = scalars.count
        let lo = max(0, min(e.start, count)), hi = max(lo, min(e.end, count))
        let start = scalars.index(scalars.startIndex, offsetBy: lo)
        return String(scalars[start..<scalars.index(start, offsetBy: hi - lo)])
    }
}
