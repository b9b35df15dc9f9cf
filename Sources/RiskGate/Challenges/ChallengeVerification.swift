import Foundation
import RiskGateEngine
import RiskGatePolicy

extension ChallengeService {
    /// Verifies one step's response and commits the outcome (challenge, lockout counters, audit) atomically.
    ///
    /// - A wrong response uses an attempt and counts toward the account's lockout; when attempts run
    ///   out the result is `locked` and the challenge fails over to its `on_failure` outcome (with a
    ///   hand-off for `agent_escalation`); when the failure locks the account the outcome is `deny`.
    /// - An OTP past its TTL gives `expired`; a `delay` step before its time gives `too_early`.
    /// - While the account is locked or banned, responses are not even checked: `locked`.
    /// - When every step is passed, ``VerificationResult/outcome`` is `passive`: the login goes through.
    /// - A `push` step takes `approve` or `deny` with a ``PushAnswer`` signed by the account's
    ///   registered device key. A bad signature (another key, another challenge's answer, an altered
    ///   response) or a wrong number counts like a wrong code; a signed `deny` counts one failure and
    ///   ends the challenge with outcome `deny`, and with ``PushAnswer/reportFraud`` labels the
    ///   decision `fraud` (a `feedback` audit record, as `POST /v1/feedback` writes).
    ///
    /// The challenge's and the account's state are checked before anything else, so a request
    /// that cannot succeed never reaches the response check and never counts.
    ///
    /// - Throws: ``ChallengeError`` (nothing is counted or written): code `.notFound` for an
    ///   unknown challenge; `.conflict` for a step out of order, a step already passed (a replayed
    ///   code) or a challenge already passed — except a `push` answer sent again after its step
    ///   passed, which is a captured approval replayed: it fails and counts toward lockout; `.invalid` for an unknown step or an oversized
    ///   response, or a `push` step without a ``PushAnswer`` or with a response other than
    ///   `approve`/`deny`. ``StoreError`` when storage fails.
    public func verify(challengeID: String, step: String, response: String, push: PushAnswer? = nil) throws -> VerificationResult {
        var attempt = 0
        while true {
            do {
                return try verifyOnce(challengeID: challengeID, step: step, response: response, push: push)
            } catch let error as StoreError where error.code == .conflict && attempt < 4 {
                attempt += 1  // another verification of this challenge won the race; re-read and re-check
            }
        }
    }

    private func verifyOnce(challengeID: String, step name: String, response: String, push: PushAnswer?) throws -> VerificationResult {
        guard response.utf8.count <= Self.maxResponseBytes else {
            throw ChallengeError(field: "response", message: "response is longer than \(Self.maxResponseBytes) bytes")
        }
        guard let kind = ChallengeStep.Kind(rawValue: name) else {
            throw ChallengeError(field: "step", message: "unknown step `\(name.prefix(40))`; steps are otp, push, kba, partial_secret, delay")
        }
        if kind == .push {
            guard PushApproval.responses.contains(response) else {
                throw ChallengeError(field: "response", message: "a push response is `approve` or `deny`")
            }
            guard push != nil else {
                throw ChallengeError(field: "signature", message: "a push response needs the device's `signature`")
            }
        }
        guard var challenge = try store.loadChallenge(challengeID) else {
            throw ChallengeError(field: "challenge", message: "no challenge `\(challengeID.prefix(80))`", code: .notFound)
        }
        guard let stepIndex = challenge.steps.firstIndex(where: { $0.kind == kind }) else {
            throw ChallengeError(field: "step", message: "challenge `\(challenge.id)` has no `\(name)` step; its steps are \(challenge.stepNames.joined(separator: ", "))")
        }
        let now = clock.now()
        let original = challenge
        var user = try store.loadUser(challenge.user) ?? UserState()
        let userBefore = user
        var result = VerificationResult(challenge: challenge.id, step: name, result: .failed)
        var outbox: [OutboxMessage] = []
        var audit: [AuditEvent] = []
        let familiar = challenge.familiar ?? false

        func fail(reason: String) {
            let change = Lockout.recordFailure(&user, settings: challenge.lockout, familiar: familiar, now: now)
            result.result = .failed
            result.reason = reason
            if change.lockedNow || user.banned {
                result.lockedAccount = change.lockedNow
                result.result = .locked
                result.reason = user.banned ? "account_banned" : "account_locked"
                result.retryAfterS = user.banned ? nil : change.lockedUntil.map { $0.timeIntervalSince(now) }
                result.outcome = .deny
                if challenge.state == .open { challenge.state = .failed }
            }
        }

        let status = Lockout.status(user, familiar: familiar, now: now)
        // States that refuse every response come first: none of them may count an attempt.
        if challenge.state == .expired {
            result.result = .expired
            result.reason = "challenge_expired"
        } else if challenge.state == .failed {
            result.result = .locked
            result.reason = "challenge_failed"
        } else if status.banned || status.locked {
            result.result = .locked
            result.reason = status.banned ? "account_banned" : "account_locked"
            result.retryAfterS = status.banned ? nil : status.until.map { $0.timeIntervalSince(now) }
        } else if kind == .push, challenge.state == .passed || challenge.steps[stepIndex].passed {
            // A push answer is signed by the device for this challenge alone, and the app sends it
            // once: the same answer again after the step passed was captured and replayed. Unlike a
            // code typed twice (refused below without counting), it fails and counts toward lockout.
            fail(reason: "push_replayed")
        } else if challenge.state == .passed {
            throw ChallengeError(field: "step", message: "challenge `\(challenge.id)` is already passed", code: .conflict)
        } else if challenge.steps[stepIndex].passed {
            // A replayed code or answer: refused without checking it, so it neither passes nor counts.
            throw ChallengeError(field: "step", message: "step `\(name)` is already passed; verify `\(challenge.stepNames[challenge.currentStep])` next",
                                 code: .conflict)
        } else if stepIndex != challenge.currentStep {
            throw ChallengeError(field: "step", message: "step `\(name)` is not next; verify `\(challenge.stepNames[challenge.currentStep])` first",
                                 code: .conflict)
        } else {
            var step = challenge.steps[stepIndex]
            switch check(step: &step, response: response, push: push, challengeID: challenge.id, challengeUser: challenge.user,
                         user: &user, now: now) {
            case .tooEarly(let wait):
                result.result = .tooEarly
                result.reason = "delay_pending"
                result.retryAfterS = wait
            case .expired:
                result.result = .expired
                result.reason = "challenge_expired"
                challenge.state = .expired
            case .passed(let stepDone):
                result.result = .passed
                step.passed = stepDone
            case .denied:
                // The account's own device says the login is not theirs: no retry, no agent.
                step.attempts += 1
                challenge.steps[stepIndex] = step
                fail(reason: "push_denied")
                challenge.state = .failed
                result.outcome = .deny
                if push?.reportFraud == true {
                    audit.append(AuditEvent(time: now, kind: .feedback, user: challenge.user, method: "push",
                                            result: "fraud", reference: challenge.decisionID))
                }
            case .wrong:
                step.attempts += 1
                challenge.steps[stepIndex] = step
                fail(reason: "wrong_response")
                if result.result == .failed {
                    if step.attempts >= step.maxAttempts {
                        result.result = .locked
                        result.reason = "attempts_exhausted"
                        challenge.state = .failed
                        result.outcome = challenge.onFailure
                    } else {
                        result.attemptsLeft = step.maxAttempts - step.attempts
                    }
                }
            }
            challenge.steps[stepIndex] = step
            if step.passed { advance(&challenge, user: &user, now: now) }
        }

        if challenge.state == .failed, original.state == .open, result.outcome == .agentEscalation {
            let handOff = HandOff(user: challenge.user, decisionID: challenge.decisionID, challengeID: challenge.id,
                                  created: now, context: challenge.context,
                                  stepsPassed: challenge.steps.filter(\.passed).map(\.kind.rawValue), reason: "challenge_failed")
            result.handOff = handOff
            outbox.append(handOffMessage(handOff, now: now))
        }
        result.complete = challenge.state == .passed && result.result == .passed
        if challenge.state == .open, challenge.currentStep < challenge.steps.count {
            let next = challenge.steps[challenge.currentStep]
            result.nextStep = next.kind.rawValue
            if next.kind == .kba, let questions = next.questions, next.answered < questions.count,
               questions[next.answered] < user.profile.kba.count {
                result.question = user.profile.kba[questions[next.answered]].question
            }
            if next.kind == .partialSecret { result.positions = next.positions }
            if result.result == .failed, result.attemptsLeft == nil {
                result.attemptsLeft = next.maxAttempts - next.attempts
            }
        }

        // The audit keeps the challenge's own outcome for a pass (the record says what was carried out).
        let auditOutcome = result.outcome ?? challenge.outcome
        if result.complete { result.outcome = .passive }
        var signals: [String: JSONValue] = ["attempts": .number(Double(challenge.steps[stepIndex].attempts))]
        if let left = result.attemptsLeft { signals["attempts_left"] = .number(Double(left)) }
        let event = AuditEvent(
            time: now, kind: .verification, user: challenge.user, policyHash: challenge.context.policyHash,
            outcome: auditOutcome.rawValue, rules: challenge.context.rules, signals: signals,
            method: name, result: result.reason.map { "\(result.result.rawValue):\($0)" } ?? result.result.rawValue,
            reference: challenge.id)
        var change = StateChange(outbox: outbox, audit: [event] + audit)
        if user != userBefore { change.users[challenge.user] = user }
        if challenge != original {
            challenge.revision = original.revision + 1
            change.challenges = [challenge]
        }
        try store.commit(change)
        return result
    }

    private enum Check {
        case passed(stepDone: Bool)
        case wrong
        /// A correctly signed push `deny`.
        case denied
        case expired
        case tooEarly(Double)
    }

    /// Checks a response against one step in constant time; updates the step's progress on success.
    private func check(step: inout ChallengeStep, response: String, push: PushAnswer?, challengeID: String, challengeUser: String,
                       user: inout UserState, now: Date) -> Check {
        switch step.kind {
        case .push:
            if let expires = step.expires, now >= expires { return .expired }
            // Only the device the request went to, under the key registered for it now.
            guard let push, let nonce = step.nonce, let device = user.profile.pushDevice, device.id == step.device else { return .wrong }
            let message = PushApproval.signedMessage(challenge: challengeID, nonce: nonce, response: response, number: push.number)
            guard Ed25519.isValidSignature(push.signature, of: message, publicKey: device.publicKey) else { return .wrong }
            if response == "deny" { return .denied }
            // Number matching: an approval given without looking at the login screen picks the wrong number.
            guard push.number == step.number else { return .wrong }
            return .passed(stepDone: true)
        case .otp:
            if let expires = step.expires, now >= expires { return .expired }
            guard let salt = step.salt, let stored = step.codeHash else { return .wrong }
            let code = response.trimmingCharacters(in: .whitespaces)
            return SecretHashing.otpMatches(code: code, salt: salt, challenge: challengeID, keyID: step.keyID, tag: stored,
                                            keyring: store.secrets) ? .passed(stepDone: true) : .wrong
        case .kba:
            guard let questions = step.questions, step.answered < questions.count,
                  questions[step.answered] < user.profile.kba.count else { return .wrong }
            let index = questions[step.answered]
            let expected = user.profile.kba[index]
            guard SecretHashing.kbaMatches(answer: response, stored: expected, keyring: store.secrets) else { return .wrong }
            // The right answer is in hand: re-hash one made at a lower cost or under an older key.
            if SecretHashing.kbaNeedsRehash(expected, keyring: store.secrets) {
                let (keyID, hash) = SecretHashing.kbaHash(answer: response, keyring: store.secrets, random: random)
                user.profile.kba[index] = KBAAnswer(question: expected.question, keyID: keyID, hash: hash)
            }
            step.answered += 1
            return .passed(stepDone: step.answered == questions.count)
        case .partialSecret:
            guard let positions = step.positions, let sealed = user.profile.partialSecret,
                  let secret = SecretHashing.openSecret(sealed, user: challengeUser, keyring: store.secrets) else { return .wrong }
            let typed = Array(response.trimmingCharacters(in: .whitespaces))
            // The asked characters and the typed ones, each as UTF-8 padded to a fixed width, compared
            // in one constant-time pass: timing tells neither which character was wrong nor how many.
            func cells(_ characters: [Character]) -> [UInt8] {
                var out: [UInt8] = []
                for character in characters {
                    var bytes = Array(String(character).utf8.prefix(SecretHashing.cellBytes))
                    bytes += [UInt8](repeating: 0, count: SecretHashing.cellBytes - bytes.count)
                    out += bytes
                }
                return out
            }
            guard positions.allSatisfy({ $0 >= 1 && $0 <= secret.count }) else { return .wrong }
            let asked = positions.map { secret[$0 - 1] }
            let given = positions.indices.map { $0 < typed.count ? typed[$0] : "\u{0}" }
            let ok = constantTimeEquals(cells(asked), cells(given)) && typed.count == positions.count
            return ok ? .passed(stepDone: true) : .wrong
        case .delay:
            if let until = step.delayUntil, now < until { return .tooEarly(until.timeIntervalSince(now)) }
            return .passed(stepDone: true)
        }
    }

    /// Moves past passed steps; a delay step's clock starts when the steps before it are done.
    private func advance(_ challenge: inout Challenge, user: inout UserState, now: Date) {
        challenge.currentStep += 1
        if challenge.currentStep < challenge.steps.count {
            if challenge.steps[challenge.currentStep].kind == .delay {
                challenge.steps[challenge.currentStep].delayUntil = now.addingTimeInterval(challenge.steps[challenge.currentStep].delay ?? 0)
            }
        } else {
            challenge.state = .passed
            // A fully passed challenge is a successful authentication: earlier failures stop counting.
            if challenge.familiar ?? false { user.familiarFailures.removeAll() } else { user.failures.removeAll() }
        }
    }
}
