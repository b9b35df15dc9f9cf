/// Name resolution within `typeCheck`: a name is a signal, a setting or (after `in`) a list;
/// `in` lists written inline are checked item by item.
extension TypeChecker {
    mutating func checkMembership(_ left: Expression, _ right: Expression, negated: Bool, _ src: ExpressionSource,
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

    mutating func resolve(_ name: String, at e: Expression, _ src: ExpressionSource, context: Context,
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
}
