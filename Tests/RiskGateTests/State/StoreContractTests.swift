import Foundation
import Testing
@testable import RiskGate
@testable import RiskGateEngine
@testable import RiskGatePolicy

/// What every state store must do, run on memory, SQLite and PostgreSQL alike.
@Suite struct StoreContractTests {
    static func sampleUser() -> UserState {
        var state = UserState()
        state.profile.known = true
        state.profile.homeCountry = "DE"
        state.profile.phone = "+4915112345678"
        state.profile.createdAt = Date(timeIntervalSince1970: 1_700_000_000.5)
        state.profile.trustedDevices = ["d-1", "d-2"]
        state.logins = [LoginRecord(time: Date(timeIntervalSince1970: 1_700_000_100), ip: IPAddress("203.0.113.7"),
                                    country: "DE", lat: 52.5, lon: 13.4, accuracyKm: 20, deviceId: "d-1")]
        state.failures = [Date(timeIntervalSince1970: 1_700_000_200.25)]
        state.lockedUntil = Date(timeIntervalSince1970: 1_700_001_000)
        state.lockouts = 2
        return state
    }

    @Test(arguments: StoreKind.available)
    func roundTripAndReopen(kind: StoreKind) throws {
        let t = try TestStore(kind)
        let user = Self.sampleUser()
        try t.store.commit(StateChange(users: ["u-1": user], blobs: ["model": Data([1, 2, 3])],
                                       audit: [AuditEvent(time: Date(timeIntervalSince1970: 1_700_000_000), kind: .admin, user: "u-1")]))
        #expect(try t.store.loadUser("u-1") == user)
        #expect(try t.store.loadUser("nobody") == nil)
        let reopened = try t.another()
        #expect(try reopened.loadUser("u-1") == user)
        #expect(try reopened.loadBlob("model") == Data([1, 2, 3]))
        #expect(try reopened.loadBlob("none") == nil)
        #expect(try reopened.auditEntries().count == 1)
        #expect(try t.verifyAudit(reopened).valid)
    }

    @Test(arguments: StoreKind.available)
    func challengesOutboxAndStaleWrites(kind: StoreKind) throws {
        let t = try TestStore(kind)
        let store = t.store
        let f = ChallengeFixture(store: store)
        try f.enroll()
        let (made, code) = try f.issue()
        let challenge = try #require(made.challenge)
        #expect(try store.loadChallenge(challenge.id) == challenge)
        // Writing the same revision again (a stale read) is refused, and nothing else in that commit lands.
        #expect {
            try store.commit(StateChange(challenges: [challenge], audit: [AuditEvent(time: Date(), kind: .admin, user: "x")]))
        } throws: { ($0 as? StoreError)?.code == .conflict }
        #expect(try store.auditEntries().count == 1)  // only account.set
        let pending = try store.outbox(limit: 10)
        #expect(pending.count == 1 && !pending[0].body.contains(code))
        #expect(try pending[0].openedForDelivery(keyring: store.secrets).body.contains(code))
        try store.removeOutbox(pending.compactMap(\.id))
        #expect(try store.outbox(limit: 10).isEmpty)
        #expect(try f.service.verify(challengeID: challenge.id, step: "otp", response: code).complete)
        #expect(try store.loadChallenge(challenge.id)?.revision == 1)
        #expect(try t.verifyAudit().valid)
    }

    /// The webhook deliverer's bookkeeping: a deferred message keeps its place with its attempts and
    /// next time; a dead letter leaves the outbox and comes back under its own id; an export of the
    /// audit log streams every record.
    @Test(arguments: StoreKind.available)
    func deliveryBookkeepingAndAuditExport(kind: StoreKind) throws {
        let t = try TestStore(kind)
        let store = t.store
        let f = ChallengeFixture(store: store)
        try f.enroll()
        _ = try f.issue()
        _ = try f.issue()
        let queued = try store.outbox(limit: 10)
        #expect(queued.count == 2)
        let (first, second) = (try #require(queued[0].id), try #require(queued[1].id))
        let later = Date(timeIntervalSince1970: 1_800_000_000)
        try store.deferOutbox(first, attempts: 2, nextAttempt: later)
        let deferred = try #require(try store.outbox(limit: 10).first { $0.id == first })
        #expect(deferred.attempts == 2 && deferred.nextAttempt == later)

        try store.deadLetterOutbox(second, attempts: 8, reason: "http 500", at: later)
        #expect(try store.outbox(limit: 10).map(\.id) == [first])
        let dead = try store.deadLetters(limit: 10)
        #expect(dead.count == 1 && dead[0].message.id == second && dead[0].message.attempts == 8 && dead[0].reason == "http 500")
        #expect(try store.retryDeadLetters(nil) == [second])
        #expect(try store.deadLetters(limit: 10).isEmpty)
        let back = try #require(try store.outbox(limit: 10).first { $0.id == second })
        #expect(back.attempts == 0 && back.nextAttempt == nil)

        var lines: [String] = []
        let written = try AuditExport.stream(from: store, after: 0, pageSize: 1) { lines.append($0) }
        #expect(written.count == (try store.auditEntries().count) && written.count >= 1 && lines.count == written.count)
        #expect(lines.allSatisfy { $0.hasPrefix("{\"hash\":") })
    }

    /// Without a deliverer, a code leaves the outbox once it cannot be used any more: its OTP step
    /// passed, its challenge ended, or it expired (swept when the next code is written).
    @Test(arguments: StoreKind.available)
    func spentCodesLeaveTheOutbox(kind: StoreKind) throws {
        let t = try TestStore(kind)
        let store = t.store
        let f = ChallengeFixture(store: store)
        try f.enroll()
        func otpMessages() throws -> [String?] { try store.outbox(limit: 100).filter { $0.kind == "otp" }.map(\.challenge) }

        let (passed, code) = try f.issue(.otpKbaDelay)
        let (failed, _) = try f.issue()
        #expect(try otpMessages().count == 2)
        _ = try f.service.verify(challengeID: try #require(passed.challenge?.id), step: "otp", response: code)
        #expect(try otpMessages() == [failed.challenge?.id])
        for _ in 0..<f.policy.otp.maxAttempts {
            _ = try f.service.verify(challengeID: try #require(failed.challenge?.id), step: "otp", response: "00000000")
        }
        #expect(try store.loadChallenge(try #require(failed.challenge?.id))?.state == .failed)
        #expect(try otpMessages().isEmpty)

        let (stale, _) = try f.issue()
        #expect(try otpMessages() == [stale.challenge?.id])
        f.clock.set(f.clock.now().addingTimeInterval(f.policy.otp.ttl + 1))
        let (fresh, _) = try f.issue()
        #expect(try otpMessages() == [fresh.challenge?.id])
    }

    @Test(arguments: StoreKind.available)
    func findsDecisionsByID(kind: StoreKind) throws {
        let t = try TestStore(kind)
        let time = Date(timeIntervalSince1970: 1_700_000_000)
        let decision = Decision(id: "dec-1", outcome: .passive, score: 0, band: "low", rule: "default", path: ["default"],
                                contributions: [], policy: .init(name: "p", hash: "sha256:0"))
        var shadow = AuditEvent.decision(decision, user: "u-1", time: time)
        shadow.kind = .shadow
        shadow.reference = "dec-2"
        try t.store.commit(StateChange(audit: [
            AuditEvent.decision(decision, user: "u-1", time: time), shadow,
            AuditEvent(time: time, kind: .feedback, user: "u-1", method: "feedback", result: "legit", reference: "dec-3"),
        ]))
        #expect(try t.store.decisionUser("dec-1") == "u-1")
        #expect(try t.store.decisionUser("dec-2") == nil, "a shadow record is not a decision")
        #expect(try t.store.decisionUser("dec-3") == nil, "a feedback record is not a decision")
        #expect(try t.store.decisionUser("dec-nope") == nil)
    }

    /// Five failed passwords lock the account; the sixth request is denied by the lock guard, and
    /// the audit log (with an anchor taken from its head) verifies.
    @Test(arguments: StoreKind.available)
    func lockoutThresholdHoldsAndTheAuditVerifies(kind: StoreKind) throws {
        let t = try TestStore(kind)
        let clock = ManualClock(Timestamp.parse("2026-11-20T12:00:00Z")!)
        let engine = try DecisionEngine(policy: DecisionEngineTests.policy(), store: t.store, clock: clock)
        var locked: [Bool] = []
        for minute in 0..<5 {
            let failure = DecisionEngineTests.request("u-1", "2026-11-20T11:5\(minute):00Z", ip: "81.2.69.1", country: "DE",
                                                      lat: 52.5, lon: 13.4, result: "failure")
            locked.append(try engine.decide(failure).lockedAccount)
        }
        #expect(locked == [false, false, false, false, true])
        let next = try engine.decide(DecisionEngineTests.request("u-1", "2026-11-20T11:59:30Z", ip: "81.2.69.1", country: "DE",
                                                                 lat: 52.5, lon: 13.4))
        #expect(next.outcome == .deny)
        let head = try #require(try t.store.auditHead())
        let verification = try t.verifyAudit(anchors: [AuditAnchor(id: head.id, hash: head.hash)])
        #expect(verification.valid, "\(verification.problem ?? "")")
        #expect(verification.records == 6)
    }

    /// The model's statistics written by one engine are what the next engine on the store starts from.
    @Test(arguments: StoreKind.available)
    func modelStatisticsSurviveARestart(kind: StoreKind) throws {
        let t = try TestStore(kind)
        let clock = ManualClock(Timestamp.parse("2026-11-20T12:00:00Z")!)
        let engine = try DecisionEngine(policy: DecisionEngineTests.policy(), store: t.store, clock: clock)
        for i in 0..<6 {
            _ = try engine.decide(DecisionEngineTests.request("u-\(i)", "2026-11-20T11:00:00Z", ip: "81.2.69.\(i + 1)", country: "DE",
                                                              lat: 52.5, lon: 13.4))
        }
        try engine.flush()
        let restarted = try DecisionEngine(policy: DecisionEngineTests.policy(), store: try t.another(), clock: clock)
        #expect(restarted.globalStats.totalLogins == 6)
        #expect(restarted.globalStats.userCount == engine.globalStats.userCount)
        #expect(restarted.globalStats.encoded() == engine.globalStats.encoded())
    }
}
