/// Splits expression text into tokens; problems become diagnostics and lexing goes on.
package struct Lexer {
    private let s: [Unicode.Scalar]
    /// The text's bytes when it is all ASCII (then scalar offsets are byte offsets), so token
    /// texts are copied bytes instead of strings built a scalar at a time.
    private let ascii: [UInt8]?
    private var i = 0

    package init(_ text: String) {
        s = Array(text.unicodeScalars)
        ascii = s.count == text.utf8.count ? Array(text.utf8) : nil
    }

    /// The text of scalars `range`.
    private func text(_ range: Range<Int>) -> String {
        if let ascii { return String(decoding: ascii[range], as: UTF8.self) }
        return String(String.UnicodeScalarView(s[range]))
    }

    /// A lexical problem at an offset.
    package struct Problem: Sendable {
        package var code: DiagnosticCode
        package var message: String
        package var offset: Int
        package var help: String?
        /// Another place the problem involves (the unclosed `(`), as an offset; `{at}` in `help`
        /// stands for its line and column once the offset is placed in the file.
        package var relatedOffset: Int? = nil
    }

    package static let durationUnits: [String: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800]

    package mutating func tokenize() -> ([Token], [Problem]) {
        var tokens: [Token] = []
        var problems: [Problem] = []
        while true {
            while i < s.count, s[i] == " " || s[i] == "\t" || s[i] == "\n" || s[i] == "\r" { i += 1 }
            guard i < s.count else { break }
            let start = i
            let c = s[i]
            if isDigit(c) || (c == "." && i + 1 < s.count && isDigit(s[i + 1])) {
                tokens.append(number(&problems))
            } else if isIdentStart(c) {
                while i < s.count, isIdentPart(s[i]) || (s[i] == "." && i + 1 < s.count && isIdentStart(s[i + 1])) { i += 1 }
                let word = text(start..<i)
                if let keyword = Token.Keyword(rawValue: word) {
                    tokens.append(Token(kind: .keyword(keyword), start: start, end: i))
                } else {
                    tokens.append(Token(kind: .identifier(word), start: start, end: i))
                }
            } else if c == "\"" || c == "'" {
                i += 1
                var value = String.UnicodeScalarView()
                var closed = false
                while i < s.count {
                    if s[i] == c { closed = true; i += 1; break }
                    if s[i] == "\\", i + 1 < s.count { i += 1 }
                    value.append(s[i])
                    i += 1
                }
                if !closed {
                    problems.append(Problem(code: .unterminatedString, message: "string is not closed", offset: start,
                                            help: "add a closing `\(c)`"))
                }
                tokens.append(Token(kind: .string(String(value)), start: start, end: i))
            } else {
                let two = i + 1 < s.count ? text(i..<(i + 2)) : ""
                if let symbol = Token.Symbol(rawValue: two), two.count == 2 {
                    i += 2
                    tokens.append(Token(kind: .symbol(symbol), start: start, end: i))
                } else if let symbol = Token.Symbol(rawValue: String(c)) {
                    i += 1
                    tokens.append(Token(kind: .symbol(symbol), start: start, end: i))
                } else {
                    let help: String? = switch two {
                    case "&&": "write `and`"
                    case "||": "write `or`"
                    default:
                        switch c {
                        case "=": "compare with `==`"
                        case "!": "write `not` (or `!=` to compare)"
                        case "&": "write `and`"
                        case "|": "write `or`"
                        default: nil
                        }
                    }
                    problems.append(Problem(code: .unexpectedCharacter, message: "unexpected character `\(c)`", offset: start, help: help))
                    i += (two == "&&" || two == "||") ? 2 : 1
                    // Read on as the operator that was meant, so one mistake gives one diagnostic.
                    let meant: Token.Kind? = switch c {
                    case "&": .keyword(.and)
                    case "|": .keyword(.or)
                    case "=": .symbol(.equal)
                    case "!": .keyword(.not)
                    default: nil
                    }
                    if let meant { tokens.append(Token(kind: meant, start: start, end: i)) }
                }
            }
        }
        tokens.append(Token(kind: .end, start: s.count, end: s.count))
        return (tokens, problems)
    }

    private mutating func number(_ problems: inout [Problem]) -> Token {
        let start = i
        while i < s.count, isDigit(s[i]) || s[i] == "_" { i += 1 }
        if i + 1 < s.count, s[i] == ".", isDigit(s[i + 1]) {
            i += 1
            while i < s.count, isDigit(s[i]) { i += 1 }
        }
        let digits = s[start..<i].contains("_") ? String(String.UnicodeScalarView(s[start..<i].filter { $0 != "_" }))
            : text(start..<i)
        let value = Double(digits) ?? 0
        // A unit glued to the number: 30s, 5m, 2h, 7d, 50km, 900km/h.
        var j = i
        if j < s.count, isIdentStart(s[j]) {
            while j < s.count, isIdentPart(s[j]) { j += 1 }
            var unit = text(i..<j)
            if unit == "km", j + 1 < s.count, s[j] == "/", s[j + 1] == "h" { unit = "km/h"; j += 2 }
            i = j
            if let factor = Lexer.durationUnits[unit] {
                return Token(kind: .quantity(value * factor, .duration), start: start, end: i)
            }
            if unit == "km" { return Token(kind: .quantity(value, .distance), start: start, end: i) }
            if unit == "km/h" || unit == "kmh" { return Token(kind: .quantity(value, .speed), start: start, end: i) }
            problems.append(Problem(code: .badNumber, message: "unknown unit `\(unit)`", offset: start,
                                    help: "units are `s`, `m`, `h`, `d`, `w` (durations), `km` (distance) and `km/h` (speed)"))
            return Token(kind: .number(value), start: start, end: i)
        }
        // A spaced distance or speed: `50 km`, `900 km/h`.
        while j < s.count, s[j] == " " { j += 1 }
        if j + 1 < s.count, s[j] == "k", s[j + 1] == "m", j + 2 == s.count || !isIdentPart(s[j + 2]) {
            if j + 4 <= s.count, s[j + 2] == "/", s[j + 3] == "h", j + 4 == s.count || !isIdentPart(s[j + 4]) {
                i = j + 4
                return Token(kind: .quantity(value, .speed), start: start, end: i)
            }
            if !(j + 2 < s.count && s[j + 2] == "/") {
                i = j + 2
                return Token(kind: .quantity(value, .distance), start: start, end: i)
            }
        }
        return Token(kind: .number(value), start: start, end: i)
    }

    private func isDigit(_ c: Unicode.Scalar) -> Bool { c >= "0" && c <= "9" }
    private func isIdentStart(_ c: Unicode.Scalar) -> Bool { (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c == "_" }
    private func isIdentPart(_ c: Unicode.Scalar) -> Bool { isIdentStart(c) || isDigit(c) }
}
