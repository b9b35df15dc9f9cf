/// The `buildAST` stage: checks the shape of each section and turns YAML nodes into a
/// ``PolicyDocument``, parsing every expression on the way.
package struct ASTBuilder {
    package static let topLevelKeys = ["riskgate", "policy", "description", "lists", "settings", "score", "decide", "challenges", "lockout"]
    static let scoreRuleKeys = ["id", "when", "points", "reason"]
    static let decideRuleKeys = ["id", "when", "outcome", "rules", "reason"]
    static let listKeys = ["file", "cidrs", "values", "anonymous"]
    static let otpKeys = ["length", "ttl", "max_attempts", "channels", "on_failure"]
    static let stepUpKeys = ["otp", "push", "kba", "partial_secret", "delay", "on_failure"]
    static let pushKeys = ["ttl", "number_matching"]
    static let challengeKeys = ["otp", "otp_kba_delay", "fallbacks", "show_code_to_agent"]
    static let deliveryChannels = ["sms", "email", "push", "voice"]
    static let fallbackTerms = ["otp", "push", "kba", "partial_secret", "delay", "sms", "email", "voice", "agent_escalation", "deny"]
    static let outcomeNames = Outcome.allCases.map(\.rawValue)
    /// Longest OTP lifetime: a code valid for more than a day is no longer a one-time check.
    static let maxTTL: Double = 86_400
    /// Longest push approval lifetime: a prompt answered an hour later no longer vouches for the login.
    static let maxPushTTL: Double = 3600
    /// Longest enforced wait of `otp_kba_delay`: cooling-off periods of days are real, months are not.
    static let maxDelay: Double = 30 * 86_400

    let text: SourceText
    var document = PolicyDocument()
    /// Lists marked `anonymous: true`, by name.
    package private(set) var anonymousLists: Set<String> = []

    /// Builds the document; problems go to `diagnostics`.
    package static func build(_ root: YAMLNode, text: SourceText, diagnostics: inout DiagnosticBag) -> (PolicyDocument, Set<String>) {
        var builder = ASTBuilder(text: text)
        builder.buildRoot(root, &diagnostics)
        return (builder.document, builder.anonymousLists)
    }

    private init(text: SourceText) { self.text = text }

    // MARK: Top level

    private mutating func buildRoot(_ root: YAMLNode, _ d: inout DiagnosticBag) {
        guard let entries = root.mapping else {
            if root.isNull {
                d.error(.emptyDocument, "policy is empty", at: root.position, help: "start with `riskgate: 1` and `policy: NAME`")
            } else {
                d.error(.wrongShape, "a policy must be a mapping of sections, not \(root.shapeName)", at: root.position,
                        help: "start with `riskgate: 1`, `policy: NAME` and `decide:` on lines of their own")
            }
            return
        }
        var sawVersion = false
        for entry in entries {
            switch entry.name {
            case "riskgate":
                sawVersion = true
                if entry.value.scalar == "1" && entry.value.style != .plain {
                    d.error(.unsupportedVersion, "the language version must be the number 1, not a string",
                            at: entry.value.position, help: "write `riskgate: 1` without quotes")
                } else if entry.value.scalar != "1" || entry.value.style != .plain {
                    d.error(.unsupportedVersion, "unsupported language version `\(entry.value.scalar ?? entry.value.shapeName)`",
                            at: entry.value.position, help: "this release reads `riskgate: 1`")
                }
            case "policy":
                guard let name = scalar(entry.value, "policy name", &d) else { continue }
                if name.isEmpty || name.count > 100 || !name.unicodeScalars.allSatisfy({ ($0 >= "a" && $0 <= "z") || ($0 >= "0" && $0 <= "9") || $0 == "-" }) {
                    let suggestion = String(name.lowercased().map { ($0.isLetter || $0.isNumber) && $0.isASCII ? $0 : "-" })
                    d.error(.invalidName, "policy name `\(name)` is not lowercase letters, digits and `-`", at: entry.value.position,
                            help: suggestion.isEmpty ? "e.g. `web-login`" : "e.g. `\(suggestion)`")
                }
                document.name = Located(name, entry.value.position)
            case "description":
                if let s = scalar(entry.value, "description", &d) { document.description = s }
            case "lists": buildLists(entry.value, &d)
            case "settings": buildSettings(entry.value, section: "settings", &d)
            case "lockout": buildSettings(entry.value, section: "lockout", &d)
            case "score": buildScore(entry.value, &d)
            case "decide":
                document.decidePosition = entry.key.position
                guard let items = sequence(entry.value, "`decide`", &d) else { continue }
                document.decide = items.map { buildDecideRule($0, depth: 1, &d) }
                if items.isEmpty {
                    d.error(.missingCatchAll, "`decide` has no rules, so no request gets an outcome", at: entry.value.position,
                            help: "end `decide` with `- { id: default, outcome: passive }`")
                }
            case "challenges": buildChallenges(entry.value, &d)
            default:
                unknownKey(entry, in: ASTBuilder.topLevelKeys, where: "at the top level",
                           missing: ASTBuilder.absent(["riskgate", "policy", "decide"], from: entries), &d)
            }
        }
        // A misspelt required key (`decid:`) is reported once, as an unknown key, not also as missing.
        let misspelt = { (key: String) in ASTBuilder.isMisspelt(key, in: entries, known: ASTBuilder.topLevelKeys) }
        if !sawVersion && !misspelt("riskgate") {
            d.error(.missingVersion, "missing `riskgate:` language version", at: root.position, help: "add `riskgate: 1` as the first line")
        }
        if document.name == nil && !misspelt("policy") {
            d.error(.missingName, "missing `policy:` name", at: root.position, help: "add `policy: my-policy` (lowercase letters, digits, `-`)")
        }
        if document.decidePosition == nil && !misspelt("decide") {
            d.error(.missingKey, "missing `decide:` section", at: root.position,
                    help: "add `decide:` with rules ending in `- { id: default, outcome: passive }`")
        }
        document.settingValues = SettingsTable.expressionValues(document.settings)
    }

    // MARK: Lists

    private mutating func buildLists(_ node: YAMLNode, _ d: inout DiagnosticBag) {
        guard let entries = mapping(node, "`lists`", &d) else { return }
        for entry in entries {
            let name = Located(entry.name, entry.key.position)
            if !isIdentifier(entry.name) {
                d.error(.invalidValue, "list name `\(entry.name)` is not a name", at: entry.key.position,
                        help: "use letters, digits and `_`, starting with a letter")
            }
            guard let fields = entry.value.mapping else {
                d.error(.listShape, "list `\(entry.name)` must be a mapping with `file:`, `cidrs:` or `values:`", at: entry.value.position,
                        help: "e.g. `\(entry.name): { cidrs: [203.0.113.0/24] }`")
                continue
            }
            var sources: [ListDeclaration.Source] = []
            for field in fields {
                switch field.name {
                case "file":
                    if let path = scalar(field.value, "list file path", &d) { sources.append(.file(Located(path, field.value.position))) }
                case "cidrs":
                    if let items = sequence(field.value, "`cidrs`", &d) {
                        sources.append(.cidrs(items.compactMap { item in scalar(item, "CIDR", &d).map { Located($0, item.position) } }))
                    }
                case "values":
                    if let items = sequence(field.value, "`values`", &d) {
                        sources.append(.values(items.compactMap { scalar($0, "list value", &d) }))
                    }
                case "anonymous":
                    if let flag = bool(field.value, &d), flag { anonymousLists.insert(entry.name) }
                default:
                    unknownKey(field, in: ASTBuilder.listKeys, where: "in list `\(entry.name)`", &d)
                }
            }
            if sources.count != 1 {
                d.error(.listShape, "list `\(entry.name)` needs exactly one of `file:`, `cidrs:` or `values:`",
                        at: entry.value.position, help: sources.isEmpty ? "add one, e.g. `file: lists/tor-exit.txt`" : "keep one source per list")
            }
            if let source = sources.first { document.lists.append(ListDeclaration(name: name, source: source)) }
        }
    }

    // MARK: Settings and lockout

    private mutating func buildSettings(_ node: YAMLNode, section: String, _ d: inout DiagnosticBag) {
        guard let entries = mapping(node, "`\(section)`", &d) else { return }
        let table = SettingsTable.entries.filter { $0.section == section }
        for entry in entries {
            guard let setting = table.first(where: { $0.key == entry.name }) else {
                unknownKey(entry, in: table.map(\.key), where: "in `\(section)`", &d)
                continue
            }
            guard let value = quantity(entry.value, setting.type, &d) else { continue }
            let name = "`\(section).\(setting.key)`"
            if setting.type == .duration {
                guard let value = duration(entry.value, value, name, allowZero: setting.zeroRefused == nil,
                                           zeroHelp: setting.zeroRefused, &d) else { continue }
                setting.apply(&document.settings, value)
                continue
            }
            if value < 0 || (setting.integer && value != value.rounded()) || !value.isFinite || value > SettingsTable.maxNumber {
                d.error(.invalidValue, "\(name) must be a \(setting.integer ? "whole " : "")number from 0 to \(Value.format(SettingsTable.maxNumber))",
                        at: entry.value.position, help: setting.integer ? "e.g. `5`" : "e.g. `0.5`")
                continue
            }
            if value == 0, let why = setting.zeroRefused {
                d.error(.invalidValue, "\(name) must be at least 1", at: entry.value.position, help: why)
                continue
            }
            setting.apply(&document.settings, value)
        }
    }
}
