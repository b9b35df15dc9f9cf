/// The `challenges` section: OTP and step-up settings, fallbacks and `on_failure` links.
extension ASTBuilder {
    mutating func buildChallenges(_ node: YAMLNode, _ d: inout DiagnosticBag) {
        guard let entries = mapping(node, "`challenges`", &d) else { return }
        for entry in entries {
            switch entry.name {
            case "otp":
                guard let fields = mapping(entry.value, "`challenges.otp`", &d) else { continue }
                var config = document.challenges.otp
                for field in fields {
                    if field.name == "on_failure" {
                        config.onFailure = onFailure(field.value, from: .otp, &d)
                    } else if field.name == "push" {
                        config.push = push(field, plan: .otp, &d)
                    } else if !otpField(field, &config, &d) {
                        unknownKey(field, in: ASTBuilder.otpKeys + ["push"], where: "in `challenges.otp`", &d)
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
                    case "push":
                        config.push = push(field, plan: .otpKbaDelay, &d)
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

    /// Reads a plan's `push: { ttl, number_matching }`; `push: {}` takes the defaults.
    private mutating func push(_ entry: YAMLNode.Entry, plan: Outcome, _ d: inout DiagnosticBag) -> ChallengePolicy.PushConfig? {
        guard let fields = mapping(entry.value, "`\(plan.rawValue).push`", &d) else { return nil }
        var config = ChallengePolicy.PushConfig()
        for field in fields {
            switch field.name {
            case "ttl":
                if let v = quantity(field.value, .duration, &d),
                   let ttl = duration(field.value, v, "`push.ttl`", allowZero: false, limit: ASTBuilder.maxPushTTL,
                                      zeroHelp: "an approval request that expires at once can never be answered; e.g. `2m`", &d) {
                    config.ttl = ttl
                }
            case "number_matching":
                guard let flag = bool(field.value, &d) else { continue }
                config.numberMatching = flag
                if !flag {
                    d.warning(.pushWithoutNumberMatching, "push approval without number matching can be approved blindly",
                              at: field.value.position,
                              help: "a user tired of prompts may approve an attacker's login (push fatigue); keep `number_matching: true`")
                }
            default:
                unknownKey(field, in: ASTBuilder.pushKeys, where: "in `\(plan.rawValue).push`", &d)
            }
        }
        document.pushPlans.append(Located(plan, entry.value.position))
        return config
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
}
