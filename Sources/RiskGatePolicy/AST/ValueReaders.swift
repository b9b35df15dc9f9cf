/// Readers of single YAML values (names, ids, expressions, scalars, numbers, durations) and the
/// unknown- and missing-key checks that every section shares; each reports its own mistakes.
extension ASTBuilder {
    func isIdentifier(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, (first >= "a" && first <= "z") || (first >= "A" && first <= "Z") else { return false }
        return s.unicodeScalars.allSatisfy { ($0 >= "a" && $0 <= "z") || ($0 >= "A" && $0 <= "Z") || ($0 >= "0" && $0 <= "9") || $0 == "_" }
    }

    func ruleID(_ node: YAMLNode, _ d: inout DiagnosticBag) -> Located<String>? {
        guard let id = scalar(node, "rule id", &d) else { return nil }
        if id.isEmpty || id.count > 100 || !id.unicodeScalars.allSatisfy({ ($0 >= "a" && $0 <= "z") || ($0 >= "A" && $0 <= "Z") || ($0 >= "0" && $0 <= "9") || $0 == "_" || $0 == "-" || $0 == "." }) {
            let suggestion = String(id.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ".") ? $0 : "_" }.prefix(100))
            d.error(.invalidRuleID, "rule id `\(id)` is not letters, digits, `-`, `_` and `.`", at: node.position,
                    help: suggestion.isEmpty ? "e.g. `id: new-device`" : "e.g. `id: \(suggestion)`")
        }
        return Located(id, node.position)
    }

    mutating func expression(_ node: YAMLNode, _ d: inout DiagnosticBag) -> ExpressionSource? {
        guard case .scalar(let textValue, _) = node.kind, !node.isNull else {
            d.error(.wrongShape, "expected an expression, found \(node.shapeName)", at: node.position,
                    help: node.mapping != nil ? "a `: ` inside an expression makes YAML read a mapping; quote the expression" : "write the expression on the same line")
            return nil
        }
        let locator = ScalarLocator(node: node, text: text)
        var source = ExpressionSource(text: textValue, locator: locator, expression: nil)
        let (expression, problems) = ExpressionParser.parse(textValue)
        for p in problems {
            var help = p.help
            if let related = p.relatedOffset {
                let at = locator.position(at: related)
                help = help?.replacing("{at}", with: "line \(at.line), column \(at.column)")
            }
            d.error(p.code, p.message, at: locator.position(at: p.offset), help: help)
        }
        source.expression = expression
        return source
    }

    func scalar(_ node: YAMLNode, _ what: String, _ d: inout DiagnosticBag) -> String? {
        guard let s = node.scalar, !node.isNull || what == "description" else {
            d.error(.wrongShape, "expected \(what), found \(node.shapeName)", at: node.position,
                    help: node.isNull ? "write a value after the `:`" : "write a single value on the same line, quoted if it holds `:`, `[` or `{`")
            return nil
        }
        return s
    }

    func sequence(_ node: YAMLNode, _ what: String, _ d: inout DiagnosticBag) -> [YAMLNode]? {
        if let items = node.sequence { return items }
        d.error(.wrongShape, "\(what) must be a list, not \(node.shapeName)", at: node.position, help: "write the entries as `- ...` lines")
        return nil
    }

    func mapping(_ node: YAMLNode, _ what: String, _ d: inout DiagnosticBag) -> [YAMLNode.Entry]? {
        if let entries = node.mapping { return entries }
        d.error(.wrongShape, "\(what) must be a mapping, not \(node.shapeName)", at: node.position, help: "write `key: value` pairs")
        return nil
    }

    func number(_ node: YAMLNode, _ d: inout DiagnosticBag) -> Double? {
        if let s = node.scalar, node.style == .plain, let v = Double(s), v.isFinite { return v }
        d.error(.invalidValue, "expected a number, found `\(node.scalar ?? node.shapeName)`", at: node.position,
                help: "write a plain number without quotes, e.g. `40`")
        return nil
    }

    func integer(_ node: YAMLNode, _ range: ClosedRange<Int>, _ d: inout DiagnosticBag) -> Int? {
        if let s = node.scalar, node.style == .plain, let v = Int(s), range.contains(v) { return v }
        d.error(.invalidValue, "expected a whole number from \(range.lowerBound) to \(range.upperBound), found `\(node.scalar ?? node.shapeName)`",
                at: node.position, help: "write a plain whole number without quotes, e.g. `\(min(max(range.lowerBound, 6), range.upperBound))`")
        return nil
    }

    func bool(_ node: YAMLNode, _ d: inout DiagnosticBag) -> Bool? {
        if node.style == .plain, let s = node.scalar {
            if s == "true" { return true }
            if s == "false" { return false }
        }
        d.error(.invalidValue, "expected `true` or `false`, found `\(node.scalar ?? node.shapeName)`", at: node.position,
                help: "write `true` or `false` without quotes")
        return nil
    }

    /// A number in `type`'s canonical unit: `90d`, `5m`, `900 km/h`; plain numbers are accepted for
    /// speeds and distances (their unit is implied by the setting's name) and for numbers.
    func quantity(_ node: YAMLNode, _ type: ValueType, _ d: inout DiagnosticBag) -> Double? {
        guard let s = node.scalar, !node.isNull else {
            d.error(.invalidValue, "expected a \(type), found \(node.shapeName)", at: node.position,
                    help: type == .duration ? "e.g. `30s`, `15m`, `2h`, `90d`" : "e.g. `10`")
            return nil
        }
        var lexer = Lexer(s)
        let (tokens, problems) = lexer.tokenize()
        if problems.isEmpty, tokens.count == 2 {
            switch tokens[0].kind {
            case .quantity(let v, let t) where t == type: return v
            case .number(let v) where type == .number || type == .speed || type == .distance: return v
            default: break
            }
        }
        let example = switch type {
        case .duration: "e.g. `30s`, `15m`, `2h`, `90d`"
        case .speed: "e.g. `900` or `900 km/h`"
        case .distance: "e.g. `50 km`"
        default: "e.g. `10`"
        }
        d.error(.invalidValue, "expected a \(type), found `\(s)`", at: node.position, help: example)
        return nil
    }

    /// Checks a duration against 0 and an upper bound (``SettingsTable/maxDuration`` unless `limit`
    /// is smaller); `nil` after reporting.
    func duration(_ node: YAMLNode, _ value: Double, _ name: String, allowZero: Bool, limit: Double = SettingsTable.maxDuration,
                  zeroHelp: String? = nil, _ d: inout DiagnosticBag) -> Double? {
        if !value.isFinite || value > limit {
            d.error(.invalidValue, "\(name) is longer than \(ASTBuilder.durationText(limit))", at: node.position,
                    help: "durations of \(name) are at most \(ASTBuilder.durationText(limit))")
            return nil
        }
        if value == 0 && !allowZero {
            d.error(.invalidValue, "\(name) must be longer than 0s", at: node.position, help: zeroHelp ?? "e.g. `5m`")
            return nil
        }
        return value
    }

    /// `86400` as `1d`, `3600` as `1h`: the largest unit that divides the duration.
    static func durationText(_ seconds: Double) -> String {
        for (unit, factor) in [("d", 86_400.0), ("h", 3600), ("m", 60)] where seconds >= factor && seconds.truncatingRemainder(dividingBy: factor) == 0 {
            return "\(Value.format(seconds / factor))\(unit)"
        }
        return "\(Value.format(seconds))s"
    }

    /// Reports an unknown key with the closest known one. When that is a required key the mapping
    /// lacks (`missing`), the help says so, and the caller reports no missing key: one mistake,
    /// one diagnostic.
    func unknownKey(_ entry: YAMLNode.Entry, in known: [String], where place: String,
                    missing: Set<String> = [], _ d: inout DiagnosticBag) {
        let help: String
        if let suggestion = Suggestions.closest(to: entry.name, in: known) {
            help = Suggestions.didYouMean(suggestion)
                + (missing.contains(suggestion) ? " `\(suggestion)` is required here and missing" : "")
        } else {
            help = "known keys: \(known.map { "`\($0)`" }.joined(separator: ", "))"
        }
        d.error(.unknownKey, "unknown key `\(entry.name)` \(place)", at: entry.key.position, help: help)
    }

    /// The keys of `required` that no entry of `entries` has.
    static func absent(_ required: [String], from entries: [YAMLNode.Entry]) -> Set<String> {
        Set(required).subtracting(entries.map(\.name))
    }

    /// Whether `key` is absent from `entries` but an unknown key there is a near miss of it (its
    /// "did you mean"): `outcom:` for `outcome:`. Such a key is reported as unknown (RG1105) only,
    /// not also as missing.
    static func isMisspelt(_ key: String, in entries: [YAMLNode.Entry], known: [String]) -> Bool {
        !entries.contains { $0.name == key }
            && entries.contains { !known.contains($0.name) && Suggestions.closest(to: $0.name, in: known) == key }
    }
}
