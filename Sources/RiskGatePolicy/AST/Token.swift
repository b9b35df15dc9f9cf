/// A lexical token of the expression language.
package struct Token: Sendable, Hashable {
    package enum Kind: Sendable, Hashable {
        case number(Double)
        case quantity(Double, ValueType)
        case string(String)
        case identifier(String)
        case keyword(Keyword)
        case symbol(Symbol)
        case end
    }

    package enum Keyword: String, Sendable, Hashable {
        case and, or, not, `in`, `true`, `false`
    }

    package enum Symbol: String, Sendable, Hashable {
        case equal = "==", notEqual = "!=", lessEqual = "<=", greaterEqual = ">=", less = "<", greater = ">"
        case plus = "+", minus = "-", star = "*", slash = "/"
        case leftParen = "(", rightParen = ")", leftBracket = "[", rightBracket = "]", comma = ","
    }

    package var kind: Kind
    package var start: Int
    package var end: Int

    /// How the token reads in a message.
    package var display: String {
        switch kind {
        case .number(let v): "`\(Value.format(v))`"
        case .quantity: "quantity"
        case .string(let s): "`\"\(s)\"`"
        case .identifier(let s): "`\(s)`"
        case .keyword(let k): "`\(k.rawValue)`"
        case .symbol(let s): "`\(s.rawValue)`"
        case .end: "end of expression"
        }
    }
}
