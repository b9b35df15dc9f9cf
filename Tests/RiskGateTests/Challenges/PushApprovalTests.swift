import Foundation
import Testing
@testable import RiskGate
@testable import RiskGateEngine
@testable import RiskGatePolicy

/// The push message as the app receives it.
struct PushMessage: Decodable {
    var challenge: String
    var user: String
    var device: String
    var nonce: String
    var choices: [Int]?
    var ttl_s: String
    var request_channel: String?
}

@Suite struct PushApprovalTests {
    /// A fixture whose `otp` plan asks the app first; u-1 has phone, email, KBA and `device` registered.
    static func fixture(device: PushTestDevice?, numberMatching: Bool = true) throws -> ChallengeFixture {
        var f = ChallengeFixture()
        var push = ChallengePolicy.PushConfig()
        push.numberMatching = numberMatching
        f.policy.otp.push = push
        try f.enroll()
        if let device {
            try f.admin.update(user: "u-1", AccountUpdate(pushKey: device.publicKeyPEM))
        }
        return f
    }

    /// Makes a challenge and returns it with the push message the app got.
    static func issue(_ f: ChallengeFixture, _ outcome: Outcome = .otp, channel: String = "chat",
                      sourceLocation: SourceLocation = #_sourceLocation) throws -> (NewChallenge, PushMessage) {
        let (made, _) = try f.issue(outcome, channel: channel, sourceLocation: sourceLocation)
        let outbox = try #require(made.outbox.first { $0.kind == "push" }, sourceLocation: sourceLocation)
        let message = try JSONDecoder().decode(PushMessage.self, from: Data(outbox.body.utf8))
        return (made, message)
    }

    @Test func approvalSignedByTheRegisteredKeyPasses() throws {
        let device = PushTestDevice()
        let f = try Self.fixture(device: device)
        let (made, message) = try Self.issue(f)
        let summary = try #require(made.summary)
        #expect(summary.steps == ["push"])
        let number = try #require(summary.push?.number)
        // The app offers choices, one of them the login screen's, and is never told which.
        let choices = try #require(message.choices)
        #expect(choices.count == PushApproval.choiceCount && Set(choices).count == choices.count && choices.contains(number))
        let outbox = try #require(made.outbox.first)
        #expect(outbox.channel == "push" && outbox.destination == summary.push?.device && outbox.challenge == summary.id)
        #expect(!outbox.body.contains("\"number\""))
        #expect(message.challenge == summary.id && message.user == "u-1" && message.device == summary.push?.device)
        #expect(message.nonce.count == 32 && message.ttl_s == "120" && message.request_channel == "chat")

        let answer = device.answer("approve", challenge: summary.id, nonce: message.nonce, number: number)
        let result = try f.service.verify(challengeID: summary.id, step: "push", response: "approve", push: answer)
        #expect(result.result == .passed && result.complete && result.outcome == .passive)
        #expect(try f.store.loadChallenge(summary.id)?.state == .passed)
        #expect(try f.store.loadUser("u-1")?.failures.isEmpty == true)
    }

    @Test func approvalSignedByAnotherKeyFailsAndCountsTowardLockout() throws {
        let device = PushTestDevice(), attacker = PushTestDevice()
        var f = try Self.fixture(device: device)
        f.settings.lockoutThreshold = 2
        f.policy.otp.maxAttempts = 5
        let (made, message) = try Self.issue(f)
        let id = try #require(made.challenge?.id)
        let number = try #require(made.summary?.push?.number)
        let forged = attacker.answer("approve", challenge: id, nonce: message.nonce, number: number)
        let first = try f.service.verify(challengeID: id, step: "push", response: "approve", push: forged)
        #expect(first.result == .failed && first.reason == "wrong_response" && first.attemptsLeft == 4)
        #expect(try f.store.loadUser("u-1")?.failures.count == 1)
        let second = try f.service.verify(challengeID: id, step: "push", response: "approve", push: forged)
        #expect(second.result == .locked && second.reason == "account_locked" && second.lockedAccount)
        // Locked: even the real device's approval is not checked.
        let real = device.answer("approve", challenge: id, nonce: message.nonce, number: number)
        #expect(try f.service.verify(challengeID: id, step: "push", response: "approve", push: real).result == .locked)
    }

    @Test func replayedApprovalFails() throws {
        let device = PushTestDevice()
        var f = try Self.fixture(device: device)
        f.policy.otp.maxAttempts = 5
        let (first, message) = try Self.issue(f)
        let id = try #require(first.challenge?.id)
        let answer = device.answer("approve", challenge: id, nonce: message.nonce, number: first.summary?.push?.number)
        #expect(try f.service.verify(challengeID: id, step: "push", response: "approve", push: answer).complete)
        // On the same challenge, after it passed: a captured approval sent again fails and counts.
        let again = try f.service.verify(challengeID: id, step: "push", response: "approve", push: answer)
        #expect(again.result == .failed && again.reason == "push_replayed" && !again.complete, "\(again)")
        #expect(try f.store.loadUser("u-1")?.failures.count == 1)
        #expect(try f.store.loadChallenge(id)?.state == .passed, "the login it approved stays approved")

        // On another challenge, even one showing the same number: it signs the other id and nonce.
        var replayed: VerificationResult?
        for _ in 0..<1000 {  // one in 90 draws the same number
            let (second, _) = try Self.issue(f)
            let otherID = try #require(second.challenge?.id)
            guard second.summary?.push?.number == answer.number else { continue }
            replayed = try f.service.verify(challengeID: otherID, step: "push", response: "approve", push: answer)
            break
        }
        let result = try #require(replayed, "no second challenge drew the same number")
        #expect(result.result == .failed && result.reason == "wrong_response")
        #expect(try f.store.loadUser("u-1")?.failures.count == 2)
    }

    @Test func approvalWithTheWrongNumberFailsAndCounts() throws {
        let device = PushTestDevice()
        let f = try Self.fixture(device: device)
        let (made, message) = try Self.issue(f)
        let id = try #require(made.challenge?.id)
        let number = try #require(made.summary?.push?.number)
        let wrong = try #require(message.choices?.first { $0 != number })
        // Correctly signed by the right device: only the number is wrong (push fatigue).
        let answer = device.answer("approve", challenge: id, nonce: message.nonce, number: wrong)
        let result = try f.service.verify(challengeID: id, step: "push", response: "approve", push: answer)
        #expect(result.result == .failed && result.reason == "wrong_response" && !result.complete)
        #expect(try f.store.loadUser("u-1")?.failures.count == 1)
        // Leaving the number out is no better.
        let none = device.answer("approve", challenge: id, nonce: message.nonce, number: nil)
        #expect(try f.service.verify(challengeID: id, step: "push", response: "approve", push: none).result == .failed)
        #expect(try f.store.loadUser("u-1")?.failures.count == 2)
    }

    @Test func aSignedDenyIsSentAsAnApprovalFails() throws {
        let device = PushTestDevice()
        let f = try Self.fixture(device: device)
        let (made, message) = try Self.issue(f)
        let id = try #require(made.challenge?.id)
        let deny = device.answer("deny", challenge: id, nonce: message.nonce, number: made.summary?.push?.number)
        let result = try f.service.verify(challengeID: id, step: "push", response: "approve", push: deny)
        #expect(result.result == .failed && result.reason == "wrong_response")
        #expect(try f.store.loadUser("u-1")?.failures.count == 1)
    }

    @Test func denyCountsAsAFailureAndEndsTheChallenge() throws {
        let device = PushTestDevice()
        let f = try Self.fixture(device: device)
        let (made, message) = try Self.issue(f)
        let id = try #require(made.challenge?.id)
        let number = made.summary?.push?.number
        let deny = device.answer("deny", challenge: id, nonce: message.nonce, number: number)
        let records = try f.store.auditEntries().count
        let result = try f.service.verify(challengeID: id, step: "push", response: "deny", push: deny)
        #expect(result.result == .failed && result.reason == "push_denied" && result.outcome == .deny)
        #expect(result.handOff == nil)
        #expect(try f.store.loadChallenge(id)?.state == .failed)
        #expect(try f.store.loadUser("u-1")?.failures.count == 1)
        // No fraud report asked for: only the verification record.
        let audit = try f.store.auditEntries()
        #expect(audit.count == records + 1 && !audit.contains { $0.kind == "feedback" })
        // The approval that comes too late does not reopen it.
        let late = device.answer("approve", challenge: id, nonce: message.nonce, number: number)
        let after = try f.service.verify(challengeID: id, step: "push", response: "approve", push: late)
        #expect(after.result == .locked && after.reason == "challenge_failed")
    }

    @Test func denyWithReportFraudLabelsTheDecision() throws {
        let device = PushTestDevice(), attacker = PushTestDevice()
        let f = try Self.fixture(device: device)
        let (made, message) = try Self.issue(f)
        let id = try #require(made.challenge?.id)
        // A forged report is a failed verification and labels nothing.
        let forged = attacker.answer("deny", challenge: id, nonce: message.nonce, number: nil, reportFraud: true)
        #expect(try f.service.verify(challengeID: id, step: "push", response: "deny", push: forged).reason == "wrong_response")
        #expect(try !f.store.auditEntries().contains { $0.kind == "feedback" })

        let report = device.answer("deny", challenge: id, nonce: message.nonce, number: nil, reportFraud: true)
        let result = try f.service.verify(challengeID: id, step: "push", response: "deny", push: report)
        #expect(result.reason == "push_denied" && result.outcome == .deny)
        let labels = try f.store.auditEntries().filter { $0.kind == "feedback" }
        #expect(labels.count == 1)
        #expect(labels.first?.result == "fraud" && labels.first?.reference == "dec-1" && labels.first?.user == "u-1")
        #expect(labels.first?.method == "push")
    }

    @Test func withoutARegisteredDeviceTheFallbackApplies() throws {
        var f = try Self.fixture(device: nil)
        // No fallback: the challenge cannot be carried out and goes to `on_failure`.
        let escalated = try f.issue().0
        #expect(escalated.outcome == .agentEscalation && escalated.failoverReason == "no_push_device")

        // `{ when: not account.has_push_device, replace: push, with: sms }`: a code by SMS.
        f.policy.fallbacks = [.init(conditionIndex: 0, replace: "push", with: "sms")]
        let (sms, code) = try f.issue(channel: "web", fallback: { $0 == 0 })
        #expect(sms.summary?.steps == ["otp"] && sms.summary?.otp?.channel == "sms" && sms.summary?.push == nil)
        #expect(sms.outbox.map(\.kind) == ["otp"] && sms.outbox.first?.destination == "+4915112345678")
        #expect(try f.service.verify(challengeID: try #require(sms.challenge?.id), step: "otp", response: code).complete)

        // `with: kba`: knowledge questions instead.
        f.policy.fallbacks = [.init(conditionIndex: 0, replace: "push", with: "kba")]
        let kba = try f.issue(fallback: { $0 == 0 }).0
        #expect(kba.summary?.steps == ["kba"] && kba.outbox.isEmpty)
    }

    @Test func fallbacksCanBringInAPushAndPushStillNamesTheChannel() throws {
        let device = PushTestDevice()
        var f = ChallengeFixture()
        try f.enroll()
        try f.admin.update(user: "u-1", AccountUpdate(pushKey: Data(device.publicKey).base64EncodedString(), pushDeviceID: "phone-1"))
        // `replace: otp, with: push`: the app is asked, with default settings.
        f.policy.fallbacks = [.init(conditionIndex: 0, replace: "otp", with: "push")]
        let pushed = try f.issue(fallback: { $0 == 0 }).0
        #expect(pushed.summary?.steps == ["push"] && pushed.summary?.push?.device == "phone-1")
        #expect(pushed.summary?.push?.number != nil && pushed.summary?.push?.ttlS == 120)
        // Without a push step, `replace: push` still names the OTP channel, as it always did.
        f.policy.otp.channels = ["push", "sms"]
        f.policy.fallbacks = [.init(conditionIndex: 0, replace: "push", with: "email")]
        let email = try f.issue(fallback: { $0 == 0 }).0
        #expect(email.summary?.steps == ["otp"] && email.summary?.otp?.channel == "email")
    }

    @Test func withoutNumberMatchingNoNumberIsShownOrAsked() throws {
        let device = PushTestDevice()
        let f = try Self.fixture(device: device, numberMatching: false)
        let (made, message) = try Self.issue(f, .otp, channel: "voice")
        #expect(made.summary?.push?.number == nil && message.choices == nil && message.request_channel == "voice")
        let id = try #require(made.challenge?.id)
        let answer = device.answer("approve", challenge: id, nonce: message.nonce, number: nil)
        #expect(try f.service.verify(challengeID: id, step: "push", response: "approve", push: answer).complete)
    }

    @Test func pushInTheStepUpPlanComesBeforeKBA() throws {
        let device = PushTestDevice()
        var f = try Self.fixture(device: device)
        f.policy.otpKbaDelay.push = ChallengePolicy.PushConfig()
        f.policy.otpKbaDelay.delay = 0
        let (made, message) = try Self.issue(f, .otpKbaDelay)
        let summary = try #require(made.summary)
        #expect(summary.steps == ["push", "kba"])
        let answer = device.answer("approve", challenge: summary.id, nonce: message.nonce, number: summary.push?.number)
        let result = try f.service.verify(challengeID: summary.id, step: "push", response: "approve", push: answer)
        #expect(result.result == .passed && result.nextStep == "kba" && !result.complete)
    }

    @Test func anExpiredPushIsNotAFailure() throws {
        let device = PushTestDevice()
        let f = try Self.fixture(device: device)
        let (made, message) = try Self.issue(f)
        let id = try #require(made.challenge?.id)
        f.clock.advance(120)
        let answer = device.answer("approve", challenge: id, nonce: message.nonce, number: made.summary?.push?.number)
        let result = try f.service.verify(challengeID: id, step: "push", response: "approve", push: answer)
        #expect(result.result == .expired)
        #expect(try f.store.loadUser("u-1")?.failures.isEmpty == true)
    }

    @Test func aReplacedDeviceKeyNoLongerApproves() throws {
        let device = PushTestDevice(), newPhone = PushTestDevice()
        let f = try Self.fixture(device: device)
        let (made, message) = try Self.issue(f)
        let id = try #require(made.challenge?.id)
        // The account moved to a new phone (a new key, so a new default id) after the push went out.
        try f.admin.update(user: "u-1", AccountUpdate(pushKey: newPhone.publicKeyPEM))
        let old = device.answer("approve", challenge: id, nonce: message.nonce, number: made.summary?.push?.number)
        #expect(try f.service.verify(challengeID: id, step: "push", response: "approve", push: old).result == .failed)
    }

    @Test func malformedPushAnswersAreRefusedWithoutCounting() throws {
        let device = PushTestDevice()
        let f = try Self.fixture(device: device)
        let (made, message) = try Self.issue(f)
        let id = try #require(made.challenge?.id)
        let answer = device.answer("approve", challenge: id, nonce: message.nonce, number: made.summary?.push?.number)
        let noSignature = #expect(throws: ChallengeError.self) { try f.service.verify(challengeID: id, step: "push", response: "approve") }
        #expect(noSignature?.field == "signature")
        let odd = #expect(throws: ChallengeError.self) { try f.service.verify(challengeID: id, step: "push", response: "yes", push: answer) }
        #expect(odd?.field == "response")
        #expect(try f.store.loadUser("u-1")?.failures.isEmpty == true)
        // Short signatures are simply invalid, never a crash.
        let short = PushAnswer(number: answer.number, signature: Array(answer.signature.prefix(10)))
        #expect(try f.service.verify(challengeID: id, step: "push", response: "approve", push: short).result == .failed)
    }
}

@Suite struct PushDeviceRegistrationTests {
    @Test func keysAreReadFromPEMOrRawBase64() {
        let device = PushTestDevice()
        #expect(Ed25519.publicKey(from: device.publicKeyPEM) == device.publicKey)
        #expect(Ed25519.publicKey(from: "  " + Data(device.publicKey).base64EncodedString() + "\n") == device.publicKey)
        #expect(Ed25519.publicKey(from: Data(device.publicKey.prefix(31)).base64EncodedString()) == nil)
        #expect(Ed25519.publicKey(from: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n") == nil)
        #expect(Ed25519.publicKey(from: "not a key") == nil)
        // An X25519 key has the same size but is no signing key.
        let x25519 = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VuAyEA3p7bfXt9wbTTW2HC7OQ1Nz+DQ8hbeGdNrfx+FG+IK08=\n-----END PUBLIC KEY-----\n"
        #expect(Ed25519.publicKey(from: x25519) == nil)
    }

    @Test func signatureChecksAreExact() {
        let device = PushTestDevice()
        let message = Array("riskgate-push-v1\nch-1\nabc\napprove\n42".utf8)
        let signature = device.sign(message)
        #expect(Ed25519.isValidSignature(signature, of: message, publicKey: device.publicKey))
        var flipped = signature
        flipped[5] ^= 1
        #expect(!Ed25519.isValidSignature(flipped, of: message, publicKey: device.publicKey))
        #expect(!Ed25519.isValidSignature(signature, of: message + [0x0A], publicKey: device.publicKey))
        #expect(!Ed25519.isValidSignature(signature, of: message, publicKey: PushTestDevice().publicKey))
        #expect(!Ed25519.isValidSignature([], of: message, publicKey: device.publicKey))
    }

    @Test func accountRegistrationStoresOnlyThePublicKey() throws {
        let device = PushTestDevice()
        let f = ChallengeFixture()
        let state = try f.admin.update(user: "u-1", AccountUpdate(pushKey: device.publicKeyPEM))
        let registered = try #require(state.profile.pushDevice)
        #expect(registered.publicKey == device.publicKey && registered.id == PushDevice.defaultID(for: device.publicKey))
        #expect(registered.id.hasPrefix("pk-") && registered.id.count == 19)
        #expect(try f.store.auditEntries().last?.reference == "push_device")
        #expect(throws: AccountError.self) { try f.admin.update(user: "u-1", AccountUpdate(pushKey: "bm90IGEga2V5")) }
        #expect(throws: AccountError.self) { try f.admin.update(user: "u-1", AccountUpdate(pushDeviceID: "phone-2")) }
        #expect(throws: AccountError.self) {
            try f.admin.update(user: "u-1", AccountUpdate(pushKey: device.publicKeyPEM, pushDeviceID: "bad\nid"))
        }
        #expect(try f.store.loadUser("u-1")?.profile.pushDevice == registered)
        let removed = try f.admin.update(user: "u-1", AccountUpdate(pushKey: ""))
        #expect(removed.profile.pushDevice == nil)
    }

    @Test func theStateCodecKeepsThePushDevice() throws {
        let device = PushTestDevice()
        var state = UserState()
        state.profile.known = true
        state.profile.trustedDevices = ["d-1"]
        state.profile.pushDevice = PushDevice(id: "phone-1", publicKey: device.publicKey)
        let bytes = UserStateCodec.encode(state)
        #expect(try UserStateCodec.decode(bytes) == state)
        // The JSON form (SQLite profile columns, hand-offs) holds the key as base64.
        let json = try JSONEncoder().encode(state.profile)
        #expect(try JSONDecoder().decode(AccountProfile.self, from: json) == state.profile)
        // A profile flags byte with unknown bits is corrupt, not a crash.
        var withoutDevice = state
        withoutDevice.profile.pushDevice = nil
        let plain = UserStateCodec.encode(withoutDevice)
        let flagsIndex = try #require(Self.profileFlagsOffset(plain))
        var bad = plain
        bad[flagsIndex] = 0x04
        #expect(throws: UserStateCodec.DecodingError.self) { try UserStateCodec.decode(bad) }
        // A truncated device key is corrupt too.
        #expect(throws: UserStateCodec.DecodingError.self) { try UserStateCodec.decode(Array(bytes.prefix(bytes.count - 40))) }
    }

    /// The offset of the profile's flags byte in a state whose profile is `known`, no strings but
    /// one trusted device: version, known, three absent strings, absent date, no KBA.
    static func profileFlagsOffset(_ bytes: [UInt8]) -> Int? {
        // version(1) known(1) homeCountry(1) phone(1) email(1) createdAt(1) kba count(1)
        let offset = 7
        return bytes.count > offset && bytes[offset] == 0 ? offset : nil
    }
}
