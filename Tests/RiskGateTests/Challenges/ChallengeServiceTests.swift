import Foundation
import Testing
@testable import RiskGate
@testable import RiskGateEngine
@testable import RiskGatePolicy

@Suite struct ChallengeServiceTests {
    @Test func fiveWrongOTPsAcrossTwoChallengesLockTheAccount() throws {
        var f = ChallengeFixture()
        f.settings.lockoutThreshold = 5
        f.policy.otp.maxAttempts = 3
        try f.enroll()
        let (first, code1) = try f.issue()
        let id1 = try #require(first.challenge?.id)
        let wrong1 = code1 == "000000" ? "111111" : "000000"
        let r1 = try f.service.verify(challengeID: id1, step: "otp", response: wrong1)
        #expect(r1.result == .failed && r1.attemptsLeft == 2)
        _ = try f.service.verify(challengeID: id1, step: "otp", response: wrong1)
        let r3 = try f.service.verify(challengeID: id1, step: "otp", response: wrong1)
        #expect(r3.result == .locked)
        #expect(r3.reason == "attempts_exhausted")
        #expect(r3.outcome == .agentEscalation)
        #expect(r3.handOff?.reason == "challenge_failed")
        #expect(r3.handOff?.context.rules == ["medium"])
        #expect(r3.handOff?.context.signals["ip.address"] == nil)  // redacted
        // The right code no longer helps on a failed challenge.
        #expect(try f.service.verify(challengeID: id1, step: "otp", response: code1).result == .locked)
        #expect(try f.store.outbox(limit: 10).contains { $0.kind == "handoff" })

        let (second, code2) = try f.issue()
        let id2 = try #require(second.challenge?.id)
        let wrong2 = code2 == "000000" ? "111111" : "000000"
        #expect(try f.service.verify(challengeID: id2, step: "otp", response: wrong2).result == .failed)
        let fifth = try f.service.verify(challengeID: id2, step: "otp", response: wrong2)
        #expect(fifth.result == .locked)
        #expect(fifth.reason == "account_locked")
        #expect(fifth.outcome == .deny)

        // A request inside the lockout: locked, and the response is not even checked.
        let (third, code3) = try f.issue()
        let locked = try f.service.verify(challengeID: try #require(third.challenge?.id), step: "otp", response: code3)
        #expect(locked.result == .locked)
        #expect(locked.reason == "account_locked")
        #expect((locked.retryAfterS ?? 0) > 0)
        let user = try #require(try f.store.loadUser("u-1"))
        #expect(Lockout.status(user, familiar: false, now: f.clock.now()).locked)
        #expect(user.lockouts == 1)

        // After the lockout a fresh challenge works.
        f.clock.advance(f.settings.lockoutDuration + 1)
        let (fourth, code4) = try f.issue()
        #expect(try f.service.verify(challengeID: try #require(fourth.challenge?.id), step: "otp", response: code4).result == .passed)
    }

    /// Lockouts from a familiar context (the user's own device) count toward the ban.
    @Test func bannedAfterRepeatedLockouts() throws {
        var f = ChallengeFixture()
        f.policy.otp.maxAttempts = 10
        try f.enroll()
        for _ in 0..<3 {
            let (made, code) = try f.issue(familiar: true)
            let wrong = code == "000000" ? "111111" : "000000"
            for _ in 0..<5 { _ = try f.service.verify(challengeID: try #require(made.challenge?.id), step: "otp", response: wrong) }
            f.clock.advance(f.settings.lockoutDuration + 1)
        }
        let user = try #require(try f.store.loadUser("u-1"))
        #expect(user.banned)
        let (made, code) = try f.issue()
        let result = try f.service.verify(challengeID: try #require(made.challenge?.id), step: "otp", response: code)
        #expect(result.result == .locked && result.reason == "account_banned" && result.retryAfterS == nil)
        try f.admin.clear(user: "u-1", unban: true)
        #expect(try f.service.verify(challengeID: try #require(made.challenge?.id), step: "otp", response: code).result == .passed)
    }

    @Test func otpExpiresAfterTTL() throws {
        let f = ChallengeFixture()
        try f.enroll()
        let (made, code) = try f.issue()
        f.clock.advance(f.policy.otp.ttl)
        let result = try f.service.verify(challengeID: try #require(made.challenge?.id), step: "otp", response: code)
        #expect(result.result == .expired)
        #expect(try f.store.loadUser("u-1")?.failures.isEmpty == true)  // expiry is not a failure
    }

    @Test func sameCodeCannotBeUsedTwice() throws {
        let f = ChallengeFixture()
        try f.enroll()
        let (made, code) = try f.issue()
        let id = try #require(made.challenge?.id)
        let first = try f.service.verify(challengeID: id, step: "otp", response: code)
        #expect(first.result == .passed && first.complete)
        #expect(first.outcome == .passive)
        let stored = try f.store.loadChallenge(id)
        let records = try f.store.auditEntries().count
        // A fully passed challenge refuses the replay as a conflict: not counted, nothing written.
        let again = #expect(throws: ChallengeError.self) { try f.service.verify(challengeID: id, step: "otp", response: code) }
        #expect(again?.code == .conflict)
        #expect(try f.store.loadUser("u-1")?.failures.isEmpty == true)
        #expect(try f.store.loadChallenge(id) == stored)
        #expect(try f.store.auditEntries().count == records)
    }

    @Test func replayingAPassedStepNeverCountsOrLocks() throws {
        var f = ChallengeFixture()
        f.policy.otpKbaDelay.delay = 0
        try f.enroll()
        let (made, code) = try f.issue(.otpKbaDelay)
        let id = try #require(made.challenge?.id)
        #expect(try f.service.verify(challengeID: id, step: "otp", response: code).nextStep == "kba")
        let stored = try f.store.loadChallenge(id)
        let userBefore = try f.store.loadUser("u-1")
        let records = try f.store.auditEntries().count
        // 15 replays used to be 15 counted failures: a lockout after 5, a ban after 3 lockouts.
        for _ in 0..<15 {
            let error = #expect(throws: ChallengeError.self) { try f.service.verify(challengeID: id, step: "otp", response: code) }
            #expect(error?.code == .conflict)
            #expect(error?.field == "step")
        }
        #expect(try f.store.loadUser("u-1") == userBefore)
        #expect(try f.store.loadChallenge(id) == stored)
        #expect(try f.store.auditEntries().count == records)
        // The challenge goes on where it was.
        let questions = try #require(made.summary?.questions)
        let answers = ["first pet": "Rex the Dog", "birth city": "Rosebud Springs"]
        var last: VerificationResult?
        for question in questions {
            last = try f.service.verify(challengeID: id, step: "kba", response: try #require(answers[question]))
        }
        #expect(last?.complete == true)
    }

    @Test func lockedAccountIsAnsweredBeforeAPassedStep() throws {
        var f = ChallengeFixture()
        f.policy.otpKbaDelay.delay = 0
        try f.enroll()
        let (made, code) = try f.issue(.otpKbaDelay)
        let id = try #require(made.challenge?.id)
        _ = try f.service.verify(challengeID: id, step: "otp", response: code)
        var user = try #require(try f.store.loadUser("u-1"))
        user.lockedUntil = f.clock.now().addingTimeInterval(600)
        try f.store.commit(StateChange(users: ["u-1": user]))
        let locked = try f.service.verify(challengeID: id, step: "otp", response: code)
        #expect(locked.result == .locked && locked.reason == "account_locked")
        #expect(!locked.lockedAccount, "already locked: not a new lockout")
        #expect(try f.store.loadUser("u-1")?.failures.isEmpty == true)
    }

    @Test func stepOutOfOrderIsAConflict() throws {
        var f = ChallengeFixture()
        f.policy.otpKbaDelay.delay = 0
        try f.enroll()
        let (made, _) = try f.issue(.otpKbaDelay)
        let id = try #require(made.challenge?.id)
        let error = #expect(throws: ChallengeError.self) { try f.service.verify(challengeID: id, step: "kba", response: "Rex") }
        #expect(error?.code == .conflict)
        let unknown = #expect(throws: ChallengeError.self) { try f.service.verify(challengeID: "ch-nope", step: "otp", response: "1") }
        #expect(unknown?.code == .notFound)
        let noSuchStep = #expect(throws: ChallengeError.self) { try f.service.verify(challengeID: id, step: "partial_secret", response: "1") }
        #expect(noSuchStep?.code == .invalid)
    }

    @Test func theFailureThatLocksTheAccountSaysSo() throws {
        var f = ChallengeFixture()
        f.settings.lockoutThreshold = 2
        f.policy.otp.maxAttempts = 5
        try f.enroll()
        let (made, code) = try f.issue()
        let id = try #require(made.challenge?.id)
        let wrong = code == "000000" ? "111111" : "000000"
        let first = try f.service.verify(challengeID: id, step: "otp", response: wrong)
        #expect(first.result == .failed && !first.lockedAccount)
        let second = try f.service.verify(challengeID: id, step: "otp", response: wrong)
        #expect(second.result == .locked && second.lockedAccount)
        let third = try f.service.verify(challengeID: id, step: "otp", response: wrong)
        #expect(third.result == .locked && !third.lockedAccount)
    }

    @Test func stepUpRunsOTPThenKBAThenEnforcesTheDelay() throws {
        var f = ChallengeFixture()
        f.policy.otpKbaDelay.kbaQuestions = 2
        f.policy.otpKbaDelay.delay = 30
        try f.enroll()
        let (made, code) = try f.issue(.otpKbaDelay)
        #expect(code.count == 8)
        let summary = try #require(made.summary)
        #expect(summary.steps == ["otp", "kba", "delay"])
        #expect(summary.delayS == 30)
        let questions = try #require(summary.questions)
        let answers = ["first pet": "  rex, THE dog!! ", "birth city": "rosebud   springs"]
        let id = summary.id
        // The delay cannot be skipped to.
        #expect(throws: ChallengeError.self) { try f.service.verify(challengeID: id, step: "delay", response: "") }
        let otp = try f.service.verify(challengeID: id, step: "otp", response: code)
        #expect(otp.nextStep == "kba" && otp.question == questions[0])
        let k1 = try f.service.verify(challengeID: id, step: "kba", response: try #require(answers[questions[0]]))
        #expect(k1.result == .passed && k1.nextStep == "kba" && k1.question == questions[1])
        let k2 = try f.service.verify(challengeID: id, step: "kba", response: try #require(answers[questions[1]]))
        #expect(k2.result == .passed && k2.nextStep == "delay" && !k2.complete)
        f.clock.advance(29)
        let early = try f.service.verify(challengeID: id, step: "delay", response: "")
        #expect(early.result == .tooEarly)
        #expect(early.retryAfterS == 1)
        f.clock.advance(1)
        let done = try f.service.verify(challengeID: id, step: "delay", response: "")
        #expect(done.result == .passed && done.complete)
    }

    @Test func partialSecretChecksOnlyTheAskedPositions() throws {
        var f = ChallengeFixture()
        f.policy.otpKbaDelay.kbaQuestions = 0
        f.policy.otpKbaDelay.partialSecretCharacters = 2
        f.policy.otpKbaDelay.delay = 0
        try f.enroll()
        let (made, code) = try f.issue(.otpKbaDelay)
        let positions = try #require(made.summary?.positions)
        #expect(positions.count == 2 && positions == positions.sorted())
        let secret = Array("tulip7castle")
        let right = String(positions.map { secret[$0 - 1] })
        let id = try #require(made.challenge?.id)
        let otp = try f.service.verify(challengeID: id, step: "otp", response: code)
        #expect(otp.nextStep == "partial_secret" && otp.positions == positions)
        let wrong = try f.service.verify(challengeID: id, step: "partial_secret", response: String(right.reversed()) == right ? "##" : String(right.reversed()))
        #expect(wrong.result == .failed)
        #expect(try f.service.verify(challengeID: id, step: "partial_secret", response: right).complete)
    }

    @Test func deliveryAvoidsTheRequestChannelAndFallbacksApply() throws {
        let f = ChallengeFixture()
        try f.enroll()
        #expect(try f.issue(channel: "chat").0.summary?.otp?.channel == "sms")
        #expect(try f.issue(channel: "sms").0.summary?.otp?.channel == "email")
        let sms = try f.issue(channel: "web").0.outbox.first
        #expect(sms?.destination == "+4915112345678")
        // No phone: the policy's fallback swaps otp for kba.
        try f.admin.update(user: "u-1", AccountUpdate(phone: ""))
        var g = f
        g.policy.fallbacks = [.init(conditionIndex: 7, replace: "otp", with: "kba")]
        let made = try g.issue(fallback: { $0 == 7 }).0
        #expect(made.summary?.steps == ["kba"])
        #expect(made.outbox.isEmpty)
    }

    @Test func undeliverableOTPEscalatesWithAHandOff() throws {
        let f = ChallengeFixture()
        try f.enroll(phone: nil, email: nil)
        let made = try f.issue().0
        #expect(made.outcome == .agentEscalation)
        #expect(made.challenge == nil)
        #expect(made.handOff?.reason == "no_otp_channel")
    }

    @Test func agentEscalationDecisionProducesHandOff() throws {
        let f = ChallengeFixture()
        let made = try #require(f.service.makeChallenge(for: f.decision(.agentEscalation), request: f.request(), user: UserState(),
                                                        policy: f.policy, fallbackApplies: { _ in false }))
        let handOff = try #require(made.handOff)
        #expect(handOff.user == "u-1" && handOff.decisionID == "dec-1" && handOff.stepsPassed.isEmpty)
        #expect(handOff.context.contributions == ["new-device"])
        #expect(handOff.context.signals["channel"] == .string("chat"))
        #expect(made.outbox.first?.channel == "agent")
        #expect(f.service.makeChallenge(for: f.decision(.passive), request: f.request(), user: UserState(),
                                        policy: f.policy, fallbackApplies: { _ in false }) == nil)
    }

    @Test func badRequestsAreRefusedWithoutCounting() throws {
        let f = ChallengeFixture()
        try f.enroll()
        let (made, _) = try f.issue()
        let id = try #require(made.challenge?.id)
        #expect(throws: ChallengeError.self) { try f.service.verify(challengeID: "ch-nope", step: "otp", response: "1") }
        #expect(throws: ChallengeError.self) { try f.service.verify(challengeID: id, step: "sorcery", response: "1") }
        #expect(throws: ChallengeError.self) { try f.service.verify(challengeID: id, step: "kba", response: "1") }
        #expect(throws: ChallengeError.self) {
            try f.service.verify(challengeID: id, step: "otp", response: String(repeating: "9", count: 5000))
        }
        #expect(try f.store.loadUser("u-1")?.failures.isEmpty == true)
    }

    @Test func auditNeverHoldsTheCode() throws {
        let f = ChallengeFixture()
        try f.enroll()
        let (made, code) = try f.issue(channel: "web")
        let id = try #require(made.challenge?.id)
        _ = try f.service.verify(challengeID: id, step: "otp", response: "12345678")
        _ = try f.service.verify(challengeID: id, step: "otp", response: code)
        let records = try f.store.auditEntries()
        #expect(records.count == 3)  // account.set + two verifications
        for r in records {
            let text = String(decoding: r.canonicalBytes, as: UTF8.self)
            #expect(!text.contains(code) && !text.contains("12345678") && !text.contains("+49"))
        }
    }
}

@Suite struct SecretTests {
    @Test(arguments: [
        ("  The  Beatles! ", "the beatles"),
        ("Rex, the DOG.", "rex the dog"),
        ("São\tPaulo", "são paulo"),
        ("O'Brien-Smith", "obriensmith"),
        ("...", ""),
    ])
    func kbaNormalisation(input: String, expected: String) {
        #expect(SecretHashing.normalizeAnswer(input) == expected)
    }

    @Test func kbaHashIsSaltedAndNormalised() {
        let keyring = SecretsKeyring.ephemeral()
        let first = SecretHashing.kbaHash(answer: "Rex the Dog", keyring: keyring, random: SystemRandomSource())
        let second = SecretHashing.kbaHash(answer: "Rex the Dog", keyring: keyring, random: SystemRandomSource())
        #expect(first.hash != second.hash)
        #expect(SecretHashing.kbaMatches(answer: " rex  THE dog!", stored: KBAAnswer(question: "q", keyID: first.keyID, hash: first.hash),
                                         keyring: keyring))
    }

    @Test func constantTimeEquality() {
        #expect(constantTimeEquals([1, 2, 3], [1, 2, 3]))
        #expect(!constantTimeEquals([1, 2, 3], [1, 2, 4]))
        #expect(!constantTimeEquals([1, 2, 3], [1, 2]))
        #expect(!constantTimeEquals([], [0]))
        #expect(constantTimeEquals([], []))
        #expect(!constantTimeEquals([0x80], [0x00]))
    }
}
