/// A precedence-climbing parser for the expression language.
///
/// Precedence, loosest first: `or`; `and`; `not`; comparisons and `in` (non-associative);
/// `+ -`; `* /`; unary `-`; primaries (literals, names, calls, parentheses, lists).
/// Recursion is bounded by ``maxDepth``, and the size of the tree by ``maxOperators``.
package struct ExpressionParser {
    package static let maxDepth = 48
    /// Most operators in one expression. Chains (`a + b + c`, `x and y and z`, `min(a, b, c)`)
    /// become trees as deep as they are long, and every later pass (type checking, analysis,
    /// lowering, evaluation) walks them recursively, so a chain of 10,000 terms once exhausted
    /// the stack. Counting operators rather than chain length also bounds chains nested in
    /// parentheses, so no tree is deeper than this plus one. Real conditions use a handful.
    package static let maxOperators = 256
    private var tokens: [Token]
    private var index = 0
    private var depth = 0
    private var operators = 0
    private var problems: [Lexer.Problem] = []
    private let textLength: Int

    /// Parses `text`; returns the tree (`nil` if it could not be built) and every problem found.
    package static func parse(_ text: String) -> (Expression?, [Lexer.Problem]) {
        var lexer = Lexer(text)
        let (tokens, lexProblems) = lexer.tokenize()
        var parser = ExpressionParser(tokens: tokens, length: text.unicodeScalars.count)
        if tokens.count == 1 {
            return (nil, lexProblems + [Lexer.Problem(code: .unexpectedToken, message: "expression is empty", offset: 0,
                                                      help: "write a condition such as `device.new`, or remove the key")])
        }
        let expression = parser.parseOr()
        if let e = expression, parser.problems.isEmpty, case .end = parser.current.kind {
            return (lexProblems.isEmpty ? e : nil, lexProblems)
        }
        if parser.problems.isEmpty {
            parser.problems.append(Lexer.Problem(code: .unexpectedToken, message: "unexpected \(parser.current.display) after the expression",
                                                 offset: parser.current.start, help: "join conditions with `and` or `or`"))
        }
        // Only the first parse problem: later ones are usually consequences of it.
        return (nil, lexProblems + [parser.problems[0]])
    }

    private init(tokens: [Token], length: Int) {
        self.tokens = tokens
        self.textLength = length
    }

    private var current: Token { tokens[index] }

    private mutating func advance() -> Token {
        let t = tokens[index]
        if index < tokens.count - 1 { index += 1 }
        return t
    }

    private mutating func fail(_ message: String, at token: Token, help: String? = nil) -> Expression? {
        problems.append(Lexer.Problem(code: .unexpectedToken, message: message, offset: token.start, help: help))
        return nil
    }

    private mutating func enter() -> Bool {
        depth += 1
        if depth > ExpressionParser.maxDepth {
            if problems.isEmpty {
                problems.append(Lexer.Problem(code: .expressionTooDeep, message: "expression nests deeper than \(ExpressionParser.maxDepth) levels",
                                              offset: current.start, help: "split it into simpler rules"))
            }
            return false
        }
        return true
    }

    /// Counts one operator (or one extra argument of a call) at `token`; `false` past ``maxOperators``.
    private mutating func count(_ token: Token, call: String? = nil) -> Bool {
        operators += 1
        if operators > ExpressionParser.maxOperators {
            if problems.isEmpty {
                let help = call.map { "each argument of `\($0)` after the first counts as an operator; split the expression into several rules" }
                    ?? "split it into several rules (score rules add their points up), or move long value lists into `lists:`"
                problems.append(Lexer.Problem(code: .expressionTooLong,
                                              message: "expression is too long: more than \(ExpressionParser.maxOperators) operators",
                                              offset: token.start, help: help))
            }
            return false
        }
        return true
    }

    private mutating func parseOr() -> Expression? {
        guard enter() else { return nil }
        defer { depth -= 1 }
        guard var left = parseAnd() else { return nil }
        while case .keyword(.or) = current.kind {
            guard count(advance()) else { return nil }
            guard let right = parseAnd() else { return nil }
            left = Expression(.binary(.or, left, right), start: left.start, end: right.end)
        }
        return left
    }

    private mutating func parseAnd() -> Expression? {
        guard var left = parseNot() else { return nil }
        while case .keyword(.and) = current.kind {
            guard count(advance()) else { return nil }
            guard let right = parseNot() else { return nil }
            left = Expression(.binary(.and, left, right), start: left.start, end: right.end)
        }
        return left
    }

    private mutating func parseNot() -> Expression? {
        if case .keyword(.not) = current.kind {
            let t = advance()
            guard count(t), enter() else { return nil }
            defer { depth -= 1 }
            guard let operand = parseNot() else { return nil }
            return Expression(.not(operand), start: t.start, end: operand.end)
        }
        return parseComparison()
    }

    private mutating func parseComparison() -> Expression? {
        guard let left = parseAdditive() else { return nil }
        var op: BinaryOperator? = nil
        var membership: Bool? = nil
        switch current.kind {
        case .symbol(let s):
            switch s {
            case .equal: op = .equal
            case .notEqual: op = .notEqual
            case .less: op = .less
            case .lessEqual: op = .lessEqual
            case .greater: op = .greater
            case .greaterEqual: op = .greaterEqual
            default: break
            }
        case .keyword(.in): membership = false
        case .keyword(.not):
            if index + 1 < tokens.count, case .keyword(.in) = tokens[index + 1].kind {
                membership = true
                _ = advance()
            }
        default: break
        }
        if op == nil && membership == nil { return left }
        guard count(advance()) else { return nil }
        guard let right = parseAdditive() else { return nil }
        let e: Expression
        if let negated = membership {
            e = Expression(.membership(left, right, negated: negated), start: left.start, end: right.end)
        } else {
            e = Expression(.binary(op!, left, right), start: left.start, end: right.end)
        }
        switch current.kind {
        case .symbol(.equal), .symbol(.notEqual), .symbol(.less), .symbol(.lessEqual), .symbol(.greater), .symbol(.greaterEqual), .keyword(.in):
            return fail("comparisons cannot be chained", at: current, help: "join the comparisons with `and`")
        default:
            return e
        }
    }

    private mutating func parseAdditive() -> Expression? {
        guard var left = parseMultiplicative() else { return nil }
        while true {
            let op: BinaryOperator
            switch current.kind {
            case .symbol(.plus): op = .add
            case .symbol(.minus): op = .subtract
            default: return left
            }
            guard count(advance()) else { return nil }
            guard let right = parseMultiplicative() else { return nil }
            left = Expression(.binary(op, left, right), start: left.start, end: right.end)
        }
    }

    private mutating func parseMultiplicative() -> Expression? {
        guard var left = parseUnary() else { return nil }
        while true {
            let op: BinaryOperator
            switch current.kind {
            case .symbol(.star): op = .multiply
            case .symbol(.slash): op = .divide
            default: return left
            }
            guard count(advance()) else { return nil }
            guard let right = parseUnary() else { return nil }
            left = Expression(.binary(op, left, right), start: left.start, end: right.end)
        }
    }

    private mutating func parseUnary() -> Expression? {
        if case .symbol(.minus) = current.kind {
            let t = advance()
            guard count(t), enter() else { return nil }
            defer { depth -= 1 }
            guard let operand = parseUnary() else { return nil }
            return Expression(.negate(operand), start: t.start, end: operand.end)
        }
        return parsePrimary()
    }

    private mutating func parsePrimary() -> Expression? {
        let t = current
        switch t.kind {
        case .number(let v):
            _ = advance()
            return Expression(.number(v), start: t.start, end: t.end)
        case .quantity(let v, let type):
            _ = advance()
            return Expression(.quantity(v, type), start: t.start, end: t.end)
        case .string(let s):
            _ = advance()
            return Expression(.string(s), start: t.start, end: t.end)
        case .keyword(.true), .keyword(.false):
            _ = advance()
            return Expression(.bool(t.kind == .keyword(.true)), start: t.start, end: t.end)
        case .identifier(let name):
            _ = advance()
            if case .symbol(.leftParen) = current.kind {
                _ = advance()
                guard enter() else { return nil }
                defer { depth -= 1 }
                var arguments: [Expression] = []
                if case .symbol(.rightParen) = current.kind {} else {
                    while true {
                        guard let argument = parseOr() else { return nil }
                        arguments.append(argument)
                        // `min(a, b, c)` checks as `min(min(a, b), c)`: each further argument is one more level.
                        if case .symbol(.comma) = current.kind { guard count(advance(), call: name) else { return nil }; continue }
                        break
                    }
                }
                guard case .symbol(.rightParen) = current.kind else {
                    return fail("expected `)` to close the call to `\(name)`, found \(current.display)", at: current,
                                help: "inside `{ ... }` a `,` ends the value; quote the expression")
                }
                let close = advance()
                return Expression(.call(name, arguments), start: t.start, end: close.end)
            }
            return Expression(.name(name), start: t.start, end: t.end)
        case .symbol(.leftParen):
            _ = advance()
            guard enter() else { return nil }
            defer { depth -= 1 }
            guard let inner = parseOr() else { return nil }
            guard case .symbol(.rightParen) = current.kind else {
                let result = fail("expected `)`, found \(current.display)", at: current, help: "close the `(` at {at} with `)`")
                problems[problems.count - 1].relatedOffset = t.start
                return result
            }
            let close = advance()
            return Expression(inner.kind, start: t.start, end: close.end)
        case .symbol(.leftBracket):
            _ = advance()
            guard enter() else { return nil }
            defer { depth -= 1 }
            var items: [Expression] = []
            if case .symbol(.rightBracket) = current.kind {} else {
                while true {
                    guard let item = parseAdditive() else { return nil }
                    items.append(item)
                    if case .symbol(.comma) = current.kind { _ = advance(); continue }
                    break
                }
            }
            guard case .symbol(.rightBracket) = current.kind else {
                return fail("expected `]` or `,` in the list, found \(current.display)", at: current,
                                help: "inside `{ ... }` a `,` ends the value; quote the expression")
            }
            let close = advance()
            return Expression(.list(items), start: t.start, end: close.end)
        case .end:
            return fail("expression ends too early", at: t, help: "something is missing after the last operator")
        default:
            return fail("unexpected \(t.display)", at: t, help: "expected a value, a signal name, `not`, `(` or `[`")
        }
    }
}
