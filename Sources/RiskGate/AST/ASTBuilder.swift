/// The `buildAST` stage: checks the shape of each section and turns YAML nodes into a
/// ``PolicyDocument``, parsing every expression on the way.
package struct ASTBuilder {
    package static let topLevelKeys = ["riskgate", "policy", "description", "lists", "settings", "score", "decide", "challenges", "lockout"]
    static let scoreRuleKeys = ["id", "when", "points", "reason"]
    static let decideRuleKeys = ["id", "when", "outcome", "rules", "reason"]
    static let listKeys = ["file", "cidrs", "values", "anonymous"]
    static let otpKeys = ["length", "ttl", "max_attempts", "channels", "on_failure"]
    static let stepUpKeys = ["otp", "kba", "partial_secret", "delay", "on_failure"]
    static let challengeKeys = ["otp", "otp_kba_delay", "fallbacks", "show_code_to_agent"]
    static let deliveryChannels = ["sms", "email", "push", "voice"]
    static let fallbackTerms = ["otp", "kba", "partial_secret", "delay", "sms", "email", "push", "voice", "agent_escalation", "deny"]
    static let outcomeNames = Outcome.allCases.map(\.rawValue)
    /// Longest OTP lifetime: a code valid for more than a day is no longer a one-time check.
    static let maxTTL: Double = 86_400
    /// Longest enforced wait of `otp_kba_delay`: cooling-off periods of days are real, months are not.
    static let maxDelay: Double = 30 * 86_400

    private let text: SourceText
    private var document = PolicyDocument()
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

    // MARK: Score

    private mutating func buildScore(_ node: YAMLNode, _ d: inout DiagnosticBag) {
        guard let entries = mapping(node, "`score`", &d) else { return }
        for entry in entries {
            switch entry.name {
            case "rules":
                guard let items = sequence(entry.value, "`score.rules`", &d) else { continue }
                for (n, item) in items.enumerated() {
                    guard let fields = mapping(item, "a score rule", &d) else { continue }
                    var rule = ScoreRule(id: Located("#\(n + 1)", item.position), position: item.position)
                    var sawID = false
                    for field in fields {
                        switch field.name {
                        case "id":
                            if let id = ruleID(field.value, &d) { rule.id = id; sawID = true }
                        case "when": rule.when = expression(field.value, &d)
                        case "points": rule.points = expression(field.value, &d)
                        case "reason": rule.reason = scalar(field.value, "reason", &d)
                        default:
                            unknownKey(field, in: ASTBuilder.scoreRuleKeys, where: "in a score rule",
                                       missing: ASTBuilder.absent(["id", "points"], from: fields), &d)
                        }
                    }
                    let misspelt = { (key: String) in ASTBuilder.isMisspelt(key, in: fields, known: ASTBuilder.scoreRuleKeys) }
                    if !sawID && !misspelt("id") { d.error(.missingKey, "score rule has no `id`", at: item.position, help: "add `id: NAME`; ids name rules in decisions") }
                    if fields.first(where: { $0.name == "points" }) == nil && !misspelt("points") {
                        d.error(.missingKey, "score rule `\(rule.id.value)` has no `points`", at: item.position, help: "add `points: 20`")
                    }
                    document.scoreRules.append(rule)
                }
            case "bands":
                document.bandsPosition = entry.value.position
                guard let fields = mapping(entry.value, "`score.bands`", &d) else { continue }
                for field in fields {
                    switch field.name {
                    case "medium": if let v = number(field.value, &d) { document.bands.medium = v }
                    case "high": if let v = number(field.value, &d) { document.bands.high = v }
                    default: unknownKey(field, in: ["medium", "high"], where: "in `score.bands`", &d)
                    }
                }
                let b = document.bands
                if !(b.medium > 0 && b.medium < b.high && b.high <= 100) {
                    let swapped = b.high > 0 && b.high < b.medium && b.medium <= 100
                    d.error(.bandsOutOfOrder, "bands must satisfy 0 < medium < high <= 100, found medium \(Value.format(b.medium)) and high \(Value.format(b.high))",
                            at: entry.value.position,
                            help: swapped ? "swap them: `bands: { medium: \(Value.format(b.high)), high: \(Value.format(b.medium)) }`"
                                : "scores run from 0 to 100, e.g. `bands: { medium: 40, high: 70 }`")
                }
            default:
                unknownKey(entry, in: ["rules", "bands"], where: "in `score`", &d)
            }
        }
    }

    // MARK: Decide

    private mutating func buildDecideRule(_ node: YAMLNode, depth: Int, _ d: inout DiagnosticBag) -> DecideRule {
        var rule = DecideRule(id: Located("#?", node.position), position: node.position)
        guard let fields = mapping(node, "a decide rule", &d) else { return rule }
        var sawID = false
        for field in fields {
            switch field.name {
            case "id":
                if let id = ruleID(field.value, &d) { rule.id = id; sawID = true }
            case "when": rule.when = expression(field.value, &d)
            case "reason": _ = scalar(field.value, "reason", &d)
            case "outcome":
                guard let name = scalar(field.value, "outcome", &d) else { continue }
                if let outcome = Outcome(rawValue: name) {
                    rule.outcome = Located(outcome, field.value.position)
                } else {
                    d.error(.unknownOutcome, "unknown outcome `\(name)`", at: field.value.position,
                            help: Suggestions.didYouMean(name, in: ASTBuilder.outcomeNames) ?? "outcomes are \(ASTBuilder.outcomeNames.map { "`\($0)`" }.joined(separator: ", "))")
                }
            case "rules":
                guard let items = sequence(field.value, "`rules`", &d) else { continue }
                if items.isEmpty {
                    d.warning(.emptyGroup, "group has no rules", at: field.value.position, help: "remove the group or add rules to it")
                }
                rule.rules = items.map { buildDecideRule($0, depth: depth + 1, &d) }
            default:
                let required = fields.contains { $0.name == "outcome" || $0.name == "rules" } ? ["id"] : ["id", "outcome", "rules"]
                unknownKey(field, in: ASTBuilder.decideRuleKeys, where: "in a decide rule",
                           missing: ASTBuilder.absent(required, from: fields), &d)
            }
        }
        let misspelt = { (key: String) in ASTBuilder.isMisspelt(key, in: fields, known: ASTBuilder.decideRuleKeys) }
        if !sawID && !misspelt("id") { d.error(.missingKey, "decide rule has no `id`", at: node.position, help: "add `id: NAME`; ids name rules in decisions") }
        let hasOutcome = fields.contains { $0.name == "outcome" }
        let hasRules = fields.contains { $0.name == "rules" }
        if hasOutcome && hasRules {
            d.error(.outcomeAndRules, "rule `\(rule.id.value)` has both `outcome` and `rules`", at: node.position,
                    help: "a rule either decides (`outcome`) or groups further rules (`rules`)")
        } else if !hasOutcome && !hasRules && !misspelt("outcome") && !misspelt("rules") {
            d.error(.missingKey, "rule `\(rule.id.value)` has neither `outcome` nor `rules`", at: node.position,
                    help: "add `outcome: passive` (or another outcome)")
        }
        return rule
    }

    // MARK: Challenges

    private mutating func buildChallenges(_ node: YAMLNode, _ d: inout DiagnosticBag) {
        guard let entries = mapping(node, "`challenges`", &d) else { return }
        for entry in entries {
            switch entry.name {
            case "otp":
                guard let fields = mapping(entry.value, "`challenges.otp`", &d) else { continue }
                var config = document.challenges.otp
                for field in fields {
                    if field.name == "on_failure" {
                        config.onFailure = onFailure(field.value, from: .otp, &d)
                    } else if !otpField(field, &config, &d) {
                        unknownKey(field, in: ASTBuilder.otpKeys, where: "in `challenges.otp`", &d)
                    }
                }
                document.challenges.otp = config
            case "otp_kba_delay":
                guard let fields = mapping(entry.value, "`challenges.otp_kba_delay`", &d) else { continue }
                var config = document.challenges.otpKbaDelay
                for field in fields {
                    switch field.name {
                    case "otp":
                        guard let otpFields = mapping(field.value, "`otp_kba_delay.otp`", &d) else { continue }
                        for f in otpFields where !otpField(f, &config.otp, &d) {
                            unknownKey(f, in: ASTBuilder.otpKeys.filter { $0 != "on_failure" }, where: "in `otp_kba_delay.otp`", &d)
                        }
                    case "kba":
                        guard let kba = mapping(field.value, "`otp_kba_delay.kba`", &d) else { continue }
                        for f in kba {
                            if f.name == "questions" {
                                if let n = integer(f.value, 0...10, &d) { config.kbaQuestions = n }
                            } else { unknownKey(f, in: ["questions"], where: "in `otp_kba_delay.kba`", &d) }
                        }
                    case "partial_secret":
                        guard let ps = mapping(field.value, "`otp_kba_delay.partial_secret`", &d) else { continue }
                        for f in ps {
                            if f.name == "characters" {
                                if let n = integer(f.value, 0...8, &d) { config.partialSecretCharacters = n }
                            } else { unknownKey(f, in: ["characters"], where: "in `otp_kba_delay.partial_secret`", &d) }
                        }
                    case "delay":
                        if let v = quantity(field.value, .duration, &d),
                           let delay = duration(field.value, v, "`delay`", allowZero: true, limit: ASTBuilder.maxDelay, &d) {
                            config.delay = delay
                        }
                    case "on_failure":
                        config.onFailure = onFailure(field.value, from: .otpKbaDelay, &d)
                    default:
                        unknownKey(field, in: ASTBuilder.stepUpKeys, where: "in `challenges.otp_kba_delay`", &d)
                    }
                }
                document.challenges.otpKbaDelay = config
            case "fallbacks":
                guard let items = sequence(entry.value, "`challenges.fallbacks`", &d) else { continue }
                for item in items {
                    guard let fields = mapping(item, "a fallback", &d) else { continue }
                    var fallback = FallbackDeclaration(when: nil, replace: "", with: "", position: item.position)
                    for field in fields {
                        switch field.name {
                        case "when": fallback.when = expression(field.value, &d)
                        case "replace", "with":
                            guard let term = scalar(field.value, "`\(field.name)`", &d) else { continue }
                            if !ASTBuilder.fallbackTerms.contains(term) {
                                d.error(.invalidValue, "`\(term)` is not a challenge step or delivery channel", at: field.value.position,
                                        help: Suggestions.didYouMean(term, in: ASTBuilder.fallbackTerms)
                                            ?? "use one of \(ASTBuilder.fallbackTerms.map { "`\($0)`" }.joined(separator: ", "))")
                            }
                            if field.name == "replace" { fallback.replace = term } else { fallback.with = term }
                        default:
                            unknownKey(field, in: ["when", "replace", "with"], where: "in a fallback",
                                       missing: ASTBuilder.absent(["replace", "with"], from: fields), &d)
                        }
                    }
                    for key in ["replace", "with"] where !fields.contains(where: { $0.name == key })
                        && !ASTBuilder.isMisspelt(key, in: fields, known: ["when", "replace", "with"]) {
                        d.error(.missingKey, "fallback has no `\(key)`", at: item.position, help: "e.g. `{ when: not account.has_phone, replace: otp, with: kba }`")
                    }
                    document.fallbacks.append(fallback)
                }
            case "show_code_to_agent":
                if let flag = bool(entry.value, &d) { document.challenges.showCodeToAgent = flag }
            default:
                unknownKey(entry, in: ASTBuilder.challengeKeys, where: "in `challenges`", &d)
            }
        }
    }

    /// Reads one OTP setting; `false` when the key is not an OTP setting.
    private mutating func otpField(_ field: YAMLNode.Entry, _ config: inout ChallengePolicy.OTPConfig, _ d: inout DiagnosticBag) -> Bool {
        switch field.name {
        case "length": if let n = integer(field.value, 4...12, &d) { config.length = n }
        case "ttl":
            if let v = quantity(field.value, .duration, &d),
               let ttl = duration(field.value, v, "`ttl`", allowZero: false, limit: ASTBuilder.maxTTL,
                                  zeroHelp: "a code that expires at once can never be entered; e.g. `5m`", &d) {
                config.ttl = ttl
            }
        case "max_attempts": if let n = integer(field.value, 1...20, &d) { config.maxAttempts = n }
        case "channels":
            guard let items = sequence(field.value, "`channels`", &d) else { return true }
            if items.isEmpty {
                d.error(.invalidValue, "`channels` is empty, so no code can be sent", at: field.value.position,
                        help: "list at least one of `sms`, `email`, `push`, `voice`; to send users to an agent instead, use the `agent_escalation` outcome")
                return true
            }
            var channels: [String] = []
            for item in items {
                guard let c = scalar(item, "channel", &d) else { continue }
                if ASTBuilder.deliveryChannels.contains(c) {
                    channels.append(c)
                } else {
                    d.error(.invalidValue, "unknown delivery channel `\(c)`", at: item.position,
                            help: Suggestions.didYouMean(c, in: ASTBuilder.deliveryChannels) ?? "channels are `sms`, `email`, `push`, `voice`")
                }
            }
            config.channels = channels
        default: return false
        }
        return true
    }

    private mutating func onFailure(_ node: YAMLNode, from: Outcome, _ d: inout DiagnosticBag) -> Outcome? {
        guard let name = scalar(node, "outcome", &d) else { return nil }
        if name == "none" { return nil }
        guard let outcome = Outcome(rawValue: name) else {
            d.error(.unknownOutcome, "unknown outcome `\(name)`", at: node.position,
                    help: Suggestions.didYouMean(name, in: ASTBuilder.outcomeNames + ["none"]) ?? "use an outcome, or `none`")
            return nil
        }
        if outcome == .passive {
            d.error(.invalidValue, "`on_failure` cannot be `passive`: a failed challenge would let the user in", at: node.position,
                    help: "use `agent_escalation`, `deny`, or `none`")
            return nil
        }
        document.onFailure.append(OnFailureLink(from: from, to: Located(outcome, node.position)))
        return outcome
    }

    // MARK: Values

    private func isIdentifier(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, (first >= "a" && first <= "z") || (first >= "A" && first <= "Z") else { return false }
        return s.unicodeScalars.allSatisfy { ($0 >= "a" && $0 <= "z") || ($0 >= "A" && $0 <= "Z") || ($0 >= "0" && $0 <= "9") || $0 == "_" }
    }

    private func ruleID(_ node: YAMLNode, _ d: inout DiagnosticBag) -> Located<String>? {
        guard let id = scalar(node, "rule id", &d) else { return nil }
        if id.isEmpty || id.count > 100 || !id.unicodeScalars.allSatisfy({ ($0 >= "a" && $0 <= "z") || ($0 >= "A" && $0 <= "Z") || ($0 >= "0" && $0 <= "9") || $0 == "_" || $0 == "-" || $0 == "." }) {
            let suggestion = String(id.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ".") ? $0 : "_" }.prefix(100))
            d.error(.invalidRuleID, "rule id `\(id)` is not letters, digits, `-`, `_` and `.`", at: node.position,
                    help: suggestion.isEmpty ? "e.g. `id: new-device`" : "e.g. `id: \(suggestion)`")
        }
        return Located(id, node.position)
    }

    private mutating func expression(_ node: YAMLNode, _ d: inout DiagnosticBag) -> ExpressionSource? {
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

    private func scalar(_ node: YAMLNode, _ what: String, _ d: inout DiagnosticBag) -> String? {
        guard let s = node.scalar, !node.isNull || what == "description" else {
            d.error(.wrongShape, "expected \(what), found \(node.shapeName)", at: node.position,
                    help: node.isNull ? "write a value after the `:`" : "write a single value on the same line, quoted if it holds `:`, `[` or `{`")
            return nil
        }
        return s
    }

    private func sequence(_ node: YAMLNode, _ what: String, _ d: inout DiagnosticBag) -> [YAMLNode]? {
        if let items = node.sequence { return items }
        d.error(.wrongShape, "\(what) must be a list, not \(node.shapeName)", at: node.position, help: "write the entries as `- ...` lines")
        return nil
    }

    private func mapping(_ node: YAMLNode, _ what: String, _ d: inout DiagnosticBag) -> [YAMLNode.Entry]? {
        if let entries = node.mapping { return entries }
        d.error(.wrongShape, "\(what) must be a mapping, not \(node.shapeName)", at: node.position, help: "write `key: value` pairs")
        return nil
    }

    private func number(_ node: YAMLNode, _ d: inout DiagnosticBag) -> Double? {
        if let s = node.scalar, node.style == .plain, let v = Double(s), v.isFinite { return v }
        d.error(.invalidValue, "expected a number, found `\(node.scalar ?? node.shapeName)`", at: node.position,
                help: "write a plain number without quotes, e.g. `40`")
        return nil
    }

    private func integer(_ node: YAMLNode, _ range: ClosedRange<Int>, _ d: inout DiagnosticBag) -> Int? {
        if let s = node.scalar, node.style == .plain, let v = Int(s), range.contains(v) { return v }
        d.error(.invalidValue, "expected a whole number from \(range.lowerBound) to \(range.upperBound), found `\(node.scalar ?? node.shapeName)`",
                at: node.position, help: "write a plain whole number without quotes, e.g. `\(min(max(range.lowerBound, 6), range.upperBound))`")
        return nil
    }

    private func bool(_ node: YAMLNode, _ d: inout DiagnosticBag) -> Bool? {
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
    private func quantity(_ node: YAMLNode, _ type: ValueType, _ d: inout DiagnosticBag) -> Double? {
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
    private func duration(_ node: YAMLNode, _ value: Double, _ name: String, allowZero: Bool, limit: Double = SettingsTable.maxDuration,
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
    private func unknownKey(_ entry: YAMLNode.Entry, in known: [String], where place: String,
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
