import Foundation
import RiskGateEngine
import RiskGatePolicy

/// What ``ChallengeService/makeChallenge(for:request:user:policy:redactedSignals:fallbackApplies:)`` produces,
/// for the engine to commit together with its decision.
public struct NewChallenge: Sendable, Hashable {
    /// The outcome actually carried out: the decision's, or its `on_failure` when no step can be
    /// used for this user (an undeliverable challenge is a failed one).
    public var outcome: Outcome
    /// The challenge record to store, when there are steps to verify.
    public var challenge: Challenge?
    /// What the caller sees in the decision's `challenge` field.
    public var summary: Decision.ChallengeSummary?
    /// Deliveries: the OTP (carrying the code) and the agent hand-off.
    public var outbox: [OutboxMessage]
    /// For `agent_escalation`.
    public var handOff: HandOff?
    /// Why the decision's own challenge could not be carried out, when `outcome` is its
    /// `on_failure` (``Decision/Escalation/reason``).
    public var failoverReason: String?
}

/// Creates and verifies challenges (docs/state.md): OTP, push approval, KBA, partial secret, enforced delay.
///
/// Creation is pure; verification loads, checks and commits the challenge, the user's lockout
/// counters and an audit record in one transaction.
public struct ChallengeService: Sendable {
    public let store: any StateStore
    public let clock: any Clock
    public let random: any RandomSource
    /// Lockout parameters copied into each new challenge, so verification uses the policy in force at creation.
    public var lockout: Lockout.Settings
    /// Longest accepted response, in bytes; longer ones are refused without counting.
    public static let maxResponseBytes = 1024

    public init(store: any StateStore, clock: any Clock, random: any RandomSource, settings: PolicySettings = PolicySettings()) {
        self.store = store; self.clock = clock; self.random = random
        lockout = Lockout.Settings(settings)
    }

    // MARK: - Creation

    /// The challenge for a decision, or `nil` for `passive` and `deny`. Writes nothing.
    ///
    /// - Parameters:
    ///   - redactedSignals: the hand-off context's signals, already redacted; by default the
    ///     decision's explanation's, redacted here.
    ///   - fallbackApplies: evaluates the policy's fallback condition with the given index for this request.
    public func makeChallenge(for decision: Decision, request: RequestContext, user: UserState, policy: ChallengePolicy,
                              redactedSignals: [String: JSONValue]? = nil, fallbackApplies: (Int) -> Bool) -> NewChallenge? {
        // Timers start by the service clock, not the request's (client-set) `time`.
        let now = clock.now()
        let context = HandOffContext(
            channel: request.channel, score: decision.score, rules: decision.path,
            contributions: decision.contributions.map(\.id),
            signals: redactedSignals ?? AuditEvent.redactedSignals(decision.explanation?.signals ?? [:]),
            policyHash: decision.policy.hash)

        var kinds: [ChallengeStep.Kind]
        var otpConfig: ChallengePolicy.OTPConfig
        var kbaQuestions = 0, secretCharacters = 0, delay = 0.0
        let pushConfig: ChallengePolicy.PushConfig?
        let onFailure: Outcome?
        switch decision.outcome {
        case .passive, .deny:
            return nil
        case .agentEscalation:
            return escalation(to: .agentEscalation, decision: decision, request: request, context: context, now: now, reason: "decision")
        case .otp:
            otpConfig = policy.otp
            pushConfig = policy.otp.push
            kinds = [pushConfig == nil ? .otp : .push]
            onFailure = policy.otp.onFailure
        case .otpKbaDelay:
            let c = policy.otpKbaDelay
            otpConfig = c.otp
            kbaQuestions = c.kbaQuestions
            secretCharacters = c.partialSecretCharacters
            delay = c.delay
            pushConfig = c.push
            kinds = [pushConfig == nil ? .otp : .push]
            if kbaQuestions > 0 { kinds.append(.kba) }
            if secretCharacters > 0 { kinds.append(.partialSecret) }
            if delay > 0 { kinds.append(.delay) }
            onFailure = c.onFailure
        }
        // If the fallback brought a KBA step into a challenge configured without one, ask a question.
        let defaultQuestions = max(1, kbaQuestions)

        var channels = otpConfig.channels
        for fallback in policy.fallbacks where fallbackApplies(fallback.conditionIndex) {
            if let from = ChallengeStep.Kind(rawValue: fallback.replace) {
                // `push` names the push step when there is one, else the OTP channel.
                guard kinds.contains(from) || from == .push else { continue }
                if !kinds.contains(from) {
                    channels = channels.map { $0 == fallback.replace ? fallback.with : $0 }.uniqued()
                } else if let to = ChallengeStep.Kind(rawValue: fallback.with) {
                    kinds = kinds.map { $0 == from ? to : $0 }.uniqued()
                } else if let outcome = Outcome(rawValue: fallback.with) {
                    return escalation(to: outcome, decision: decision, request: request, context: context, now: now, reason: "fallback")
                } else if from == .push {
                    // A push swapped for a delivery channel (`with: sms`): a code sent there.
                    kinds = kinds.map { $0 == .push ? .otp : $0 }.uniqued()
                    channels = [fallback.with]
                } else {
                    kinds.removeAll { $0 == from }
                }
            } else {
                channels = channels.map { $0 == fallback.replace ? fallback.with : $0 }.uniqued()
            }
        }

        let profile = user.profile
        let id = "ch-" + random.bytes(8).hexString
        var steps: [ChallengeStep] = []
        var outbox: [OutboxMessage] = []
        var summary = Decision.ChallengeSummary(id: id, steps: [])
        let maxAttempts = max(1, otpConfig.maxAttempts)
        for kind in kinds {
            var step = ChallengeStep(kind: kind, maxAttempts: maxAttempts)
            switch kind {
            case .otp:
                guard let (channel, destination) = deliveryChannel(channels, request: request, profile: profile) else {
                    return escalation(to: onFailure ?? .agentEscalation, decision: decision, request: request,
                                      context: context, now: now, reason: "no_otp_channel")
                }
                let code = makeCode(length: otpConfig.length)
                let salt = random.bytes(SecretHashing.saltLength)
                let key = store.secrets.current
                step.salt = salt
                step.keyID = key.id
                step.codeHash = SecretHashing.otpTag(code: code, salt: salt, challenge: id, key: key)
                step.channel = channel
                step.expires = now.addingTimeInterval(otpConfig.ttl)
                summary.otp = .init(channel: channel, ttlS: otpConfig.ttl)
                if policy.showCodeToAgent, let c = request.channel, ["agent", "chat", "voice"].contains(c) {
                    summary.agentVisibleCode = code
                }
                outbox.append(OutboxMessage(created: now, kind: "otp", channel: channel, user: request.user,
                                            destination: destination, challenge: id,
                                            body: AuditRecord.compactJSON([
                                                OutboxMessage.sealedCodeKey: SecretHashing.sealOutboxCode(code, challenge: id, keyring: store.secrets, random: random),
                                                "ttl_s": String(Int(otpConfig.ttl)),
                                            ])))
            case .push:
                let config = pushConfig ?? ChallengePolicy.PushConfig()
                guard let device = profile.pushDevice else {
                    return escalation(to: onFailure ?? .agentEscalation, decision: decision, request: request,
                                      context: context, now: now, reason: "no_push_device")
                }
                let nonce = random.bytes(16).hexString
                step.channel = "push"
                step.device = device.id
                step.nonce = nonce
                step.expires = now.addingTimeInterval(config.ttl)
                var choices: [Int]?
                if config.numberMatching {
                    let number = PushApproval.numberRange.lowerBound + random.uniform(PushApproval.numberRange.count)
                    step.number = number
                    choices = PushApproval.choices(including: number, random: random)
                }
                // The number goes to the login screen (the summary); the app gets only the choices.
                summary.push = .init(device: device.id, number: step.number, ttlS: config.ttl)
                outbox.append(OutboxMessage(created: now, kind: "push", channel: "push", user: request.user,
                                            destination: device.id, challenge: id,
                                            body: PushApproval.outboxBody(challenge: id, user: request.user, device: device.id,
                                                                          nonce: nonce, choices: choices, ttl: config.ttl,
                                                                          requestChannel: request.channel)))
            case .kba:
                let wanted = kbaQuestions > 0 ? kbaQuestions : defaultQuestions
                guard profile.kba.count >= wanted else {
                    return escalation(to: onFailure ?? .agentEscalation, decision: decision, request: request,
                                      context: context, now: now, reason: "no_kba_answers")
                }
                step.questions = pick(wanted, from: profile.kba.count)
                summary.questions = step.questions?.map { profile.kba[$0].question }
            case .partialSecret:
                let wanted = max(1, secretCharacters)
                // Opened only to learn its length: the characters are never kept.
                let length = profile.partialSecret.flatMap {
                    SecretHashing.openSecret($0, user: request.user, keyring: store.secrets)?.count
                } ?? 0
                guard length >= wanted else {
                    return escalation(to: onFailure ?? .agentEscalation, decision: decision, request: request,
                                      context: context, now: now, reason: "no_partial_secret")
                }
                step.positions = pick(wanted, from: length).map { $0 + 1 }.sorted()
                summary.positions = step.positions
            case .delay:
                step.delay = delay
                summary.delayS = delay
            }
            steps.append(step)
        }
        guard steps.contains(where: { $0.kind != .delay }) else {
            return escalation(to: onFailure ?? .agentEscalation, decision: decision, request: request,
                              context: context, now: now, reason: "no_usable_step")
        }
        if steps[0].kind == .delay { steps[0].delayUntil = now.addingTimeInterval(delay) }
        summary.steps = steps.map(\.kind.rawValue)
        let challenge = Challenge(
            id: id, user: request.user, decisionID: decision.id, created: now, outcome: decision.outcome,
            steps: steps, currentStep: 0, state: .open, onFailure: onFailure, lockout: lockout,
            requestChannel: request.channel, context: context, revision: 0)
        return NewChallenge(outcome: decision.outcome, challenge: challenge, summary: summary, outbox: outbox, handOff: nil)
    }

    /// A challenge that goes straight to `outcome` (with a hand-off for `agent_escalation`).
    private func escalation(to outcome: Outcome, decision: Decision, request: RequestContext, context: HandOffContext,
                            now: Date, reason: String) -> NewChallenge {
        // "decision": the rule itself chose agent_escalation; anything else is a fail-over.
        let failover = reason == "decision" ? nil : reason
        guard outcome == .agentEscalation else {
            return NewChallenge(outcome: outcome, challenge: nil, summary: nil, outbox: [], handOff: nil,
                                failoverReason: failover)
        }
        let handOff = HandOff(user: request.user, decisionID: decision.id, challengeID: nil, created: now,
                              context: context, stepsPassed: [], reason: reason)
        return NewChallenge(outcome: outcome, challenge: nil, summary: nil,
                            outbox: [handOffMessage(handOff, now: now)], handOff: handOff, failoverReason: failover)
    }

    func handOffMessage(_ handOff: HandOff, now: Date) -> OutboxMessage {
        OutboxMessage(created: now, kind: "handoff", channel: "agent", user: handOff.user,
                      challenge: handOff.challengeID, body: handOff.compactJSON())
    }

    /// The first configured channel that is not the request's own and has an address on file.
    private func deliveryChannel(_ channels: [String], request: RequestContext, profile: AccountProfile) -> (String, String?)? {
        for channel in channels where channel != request.channel {
            switch channel {
            case "sms", "voice":
                if let phone = profile.phone, !phone.isEmpty { return (channel, phone) }
            case "email":
                if let email = profile.email, !email.isEmpty { return (channel, email) }
            case "push":
                if let device = request.device?.id, profile.trustedDevices.contains(device) { return (channel, device) }
            default:
                continue
            }
        }
        return nil
    }

    /// A code of `length` decimal digits, each drawn uniformly from the CSPRNG.
    private func makeCode(length: Int) -> String {
        let n = min(max(length, 4), 32)
        return String((0..<n).map { _ in Character(String(random.uniform(10))) })
    }

    /// `count` distinct indexes in `0..<n`, in random order (partial Fisher–Yates).
    private func pick(_ count: Int, from n: Int) -> [Int] {
        var pool = Array(0..<n)
        for i in 0..<min(count, n) { pool.swapAt(i, i + random.uniform(n - i)) }
        return Array(pool.prefix(count))
    }
}

extension Array where Element: Hashable {
    fileprivate func uniqued() -> [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}
