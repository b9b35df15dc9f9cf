import Foundation
import Testing
@testable import RiskGate
@testable import RiskGateEngine
@testable import RiskGatePolicy

/// End-to-end scenarios through the engine: signals from state, lockout, challenges, audit.
@Suite struct DecisionEngineTests {
    static let policySource = """
    riskgate: 1
    policy: engine-test
    lists:
      tor_exit: { cidrs: [185.220.101.0/24], anonymous: true }
    score:
      rules:
        - { id: tor, when: ip in tor_exit, points: 40 }
        - { id: new-device, when: device.new, points: 15 }
    decide:
      - { id: banned, when: account.banned, outcome: deny }
      - { id: locked, when: account.locked, outcome: deny }
      - { id: travel, when: geo.impossible_travel, outcome: agent_escalation }
      - { id: medium, when: score >= 35, outcome: otp }
      - { id: default, outcome: passive }
    challenges:
      otp: { length: 6, ttl: 5m, max_attempts: 3, channels: [sms, email], on_failure: agent_escalation }
    lockout: { threshold: 5, window: 15m, duration: 30m, bans_after: 2 }
    """

    static func policy(sourceLocation: SourceLocation = #_sourceLocation) throws -> CompiledPolicy {
        let result = PolicyCompiler.compile(source: policySource, file: "engine-test.yaml", baseDirectory: nil)
        return try #require(result.policy, "policy does not compile: \(result.diagnostics)", sourceLocation: sourceLocation)
    }

    static func request(_ user: String, _ time: String, ip: String, country: String, lat: Double, lon: Double,
                        device: String = "d-1", result: String? = "success") -> RequestContext {
        var r = RequestContext(user: user)
        r.time = Timestamp.parse(time)
        r.channel = "web"
        r.action = "login"
        r.ip = ip
        r.geo = .init(country: country, lat: lat, lon: lon, accuracyKm: 10)
        r.device = .init(id: device)
        r.result = result
        return r
    }

    @Test func berlinThenSydneyAnHourLaterIsImpossibleTravel() throws {
        let clock = ManualClock(Timestamp.parse("2026-11-20T12:00:00Z")!)
        let engine = try DecisionEngine(policy: Self.policy(), store: MemoryStateStore(), clock: clock)
        let berlin = try engine.decide(Self.request("u-1", "2026-11-20T09:00:00Z", ip: "81.2.69.1", country: "DE", lat: 52.52, lon: 13.40))
        #expect(berlin.outcome == .passive)
        let sydney = try engine.decide(Self.request("u-1", "2026-11-20T10:00:00Z", ip: "1.128.0.1", country: "AU", lat: -33.87, lon: 151.21),
                                       explain: true)
        #expect(sydney.outcome == .agentEscalation)
        #expect(sydney.rule == "travel")
        #expect(sydney.explanation?.signals["geo.impossible_travel"] == .bool(true))
    }

    /// Whether or not the caller asks for an explanation, the audit record holds the same redacted
    /// signals: every used boolean and number, the coarse strings, never the IP address or device id.
    @Test func auditSignalsDoNotDependOnExplain() throws {
        let clock = ManualClock(Timestamp.parse("2026-11-20T12:00:00Z")!)
        var records: [AuditRecord] = []
        for explain in [false, true] {
            let store = MemoryStateStore()
            let engine = try DecisionEngine(policy: Self.policy(), store: store, clock: clock)
            let decision = try engine.decide(Self.request("u-1", "2026-11-20T09:00:00Z", ip: "185.220.101.7", country: "DE",
                                                          lat: 52.52, lon: 13.40, device: "d-9"), explain: explain)
            #expect((decision.explanation != nil) == explain)
            records.append(try #require(try store.auditEntries().first))
        }
        #expect(records[0].signals == records[1].signals)
        #expect(records[0].signals.contains(#""device.new":true"#) && records[0].signals.contains(#""score":55"#))
        #expect(!records[0].signals.contains("185.220.101.7") && !records[0].signals.contains("d-9"))
    }

    /// Without an explanation the engine writes a decision's audit signals straight from the
    /// slots; they must be the bytes the dictionary of an explained decision gives (the hash chain
    /// covers them), over the shipped web-login policy's signals: strings kept and dropped, numbers,
    /// unavailable values, challenges and their hand-off context.
    @Test func auditSignalsWrittenFromSlotsMatchTheDictionary() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("policies/web-login.yaml").path
        let result = PolicyCompiler.compile(path: path)
        let policy = try #require(result.policy, "web-login does not compile: \(result.diagnostics)")
        let clock = ManualClock(Timestamp.parse("2026-11-20T12:00:00Z")!)
        var requests: [RequestContext] = []
        for i in 0..<40 {
            var r = Self.request("u-\(i % 7)", "2026-11-20T0\(i % 10):\(10 + i):00Z",
                                 ip: i % 5 == 0 ? "185.220.101.\(i)" : "81.10.\(i % 7).7", country: ["DE", "FR", "US", "BR"][i % 4],
                                 lat: [52.52, 48.85, 40.71, -23.55][i % 4], lon: [13.40, 2.35, -74.0, -46.63][i % 4],
                                 device: "d-\(i % 3)", result: i % 6 == 5 ? "failure" : "success")
            r.action = ["login", "payment", "password_reset"][i % 3]
            if i % 4 == 3 { r.channel = nil }
            requests.append(r)
        }
        var signals: [[String]] = []
        for explain in [false, true] {
            let store = MemoryStateStore()
            let engine = try DecisionEngine(policy: policy, store: store, clock: clock)
            for request in requests { _ = try engine.decide(request, explain: explain) }
            signals.append(try store.auditEntries().filter { $0.kind == AuditKind.decision.rawValue }.map(\.signals))
        }
        #expect(signals[0].count == requests.count)
        #expect(signals[0] == signals[1])
        #expect(signals[0].contains { $0.contains(#""request.action":"payment""#) })
        #expect(!signals[0].contains { $0.contains("185.220.101.") || $0.contains("d-1") })
    }

    @Test func torExitWithNewDeviceGetsAnOTPAndContributionsAddUp() throws {
        let clock = ManualClock(Timestamp.parse("2026-11-20T12:00:00Z")!)
        let store = MemoryStateStore()
        let engine = try DecisionEngine(policy: Self.policy(), store: store, clock: clock)
        try engine.updateAccount(user: "u-2", AccountUpdate(phone: "+4915112345678"))
        let decision = try engine.decide(Self.request("u-2", "2026-11-20T11:00:00Z", ip: "185.220.101.7", country: "DE", lat: 52.5, lon: 13.4))
        #expect(decision.outcome == .otp)
        #expect(decision.score == 55)
        #expect(decision.contributions.map(\.points).reduce(0, +) == decision.score)
        #expect(decision.challenge?.otp?.channel == "sms")
    }

    /// The IPv4-mapped IPv6 form of a listed IPv4 address is the listed address: it scores as the
    /// Tor exit, and after a login from it the plain IPv4 form is a known IP.
    @Test func aMappedIPv4AddressIsTheIPv4Address() throws {
        let clock = ManualClock(Timestamp.parse("2026-11-20T12:00:00Z")!)
        let engine = try DecisionEngine(policy: Self.readingPolicy(), store: MemoryStateStore(), clock: clock)
        try engine.updateAccount(user: "u-11", AccountUpdate(phone: "+4915112345678"))
        let mapped = try engine.decide(Self.request("u-11", "2026-11-20T11:00:00Z", ip: "::ffff:185.220.101.7", country: "DE",
                                                    lat: 52.5, lon: 13.4), explain: true)
        #expect(mapped.contributions.map(\.id).contains("tor"))
        #expect(mapped.explanation?.signals["ip.address"] == .string("185.220.101.7"))
        let home = try engine.decide(Self.request("u-11", "2026-11-20T11:10:00Z", ip: "::ffff:198.51.100.7", country: "DE",
                                                  lat: 52.5, lon: 13.4))
        #expect(home.outcome == .passive)
        let again = try engine.decide(Self.request("u-11", "2026-11-20T11:20:00Z", ip: "198.51.100.9", country: "DE",
                                                   lat: 52.5, lon: 13.4), explain: true)
        #expect(again.explanation?.signals["ip.known"] == .bool(true))
    }

    /// A user with no phone or email on file cannot be sent a code: the `otp` rule's challenge
    /// goes to its `on_failure`, and the decision says so and why, instead of only showing an
    /// outcome its rule never named. With a phone on file the rule's outcome stands, unmarked.
    @Test func anUndeliverableOTPSaysItEscalatedAndWhy() throws {
        let clock = ManualClock(Timestamp.parse("2026-11-20T12:00:00Z")!)
        let engine = try DecisionEngine(policy: Self.policy(), store: MemoryStateStore(), clock: clock)
        let tor = Self.request("u-9", "2026-11-20T11:00:00Z", ip: "185.220.101.7", country: "DE", lat: 52.5, lon: 13.4)
        let escalated = try engine.decide(tor)
        #expect(escalated.rule == "medium")
        #expect(escalated.outcome == .agentEscalation)
        #expect(escalated.escalated == Decision.Escalation(from: .otp, reason: "no_otp_channel"))
        let json = String(decoding: try escalated.responseJSON(), as: UTF8.self)
        #expect(json.contains(#""escalated":{"from":"otp","reason":"no_otp_channel"}"#), "\(json)")

        try engine.updateAccount(user: "u-10", AccountUpdate(phone: "+4915112345678"))
        var reachable = tor
        reachable.user = "u-10"
        let otp = try engine.decide(reachable)
        #expect(otp.outcome == .otp)
        #expect(otp.escalated == nil)
        #expect(!String(decoding: try otp.responseJSON(), as: UTF8.self).contains("escalated"))
    }

    /// A challenge's timers start when the engine decided, whatever `time` the request carries:
    /// a past time would expire the code at once, a future one keep it valid for years.
    @Test(arguments: ["1999-01-01T00:00:00Z", "2026-11-20T11:59:00Z", "2099-01-01T00:00:00Z"])
    func challengeTimersStartByTheEngineClock(time: String) throws {
        let now = Timestamp.parse("2026-11-20T12:00:00Z")!
        let store = MemoryStateStore()
        let engine = try DecisionEngine(policy: Self.policy(), store: store, clock: ManualClock(now))
        try engine.updateAccount(user: "u-3", AccountUpdate(phone: "+4915112345678"))
        let decision = try engine.decide(Self.request("u-3", time, ip: "185.220.101.7", country: "DE", lat: 52.5, lon: 13.4))
        let summary = try #require(decision.challenge)
        let challenge = try #require(try store.loadChallenge(summary.id))
        #expect(challenge.created == now)
        #expect(challenge.steps.first?.expires == now.addingTimeInterval(300))
    }

    /// A policy that reads `account.failures`, `account.locked` and `ip.known`, so explanations show them.
    static func readingPolicy() throws -> CompiledPolicy {
        let source = """
        riskgate: 1
        policy: reading
        lists:
          tor_exit: { cidrs: [185.220.101.0/24], anonymous: true }
        score:
          rules:
            - { id: tor, when: ip in tor_exit, points: 40 }
            - { id: failures, when: account.failures >= 1, points: 5 }
            - { id: unknown-ip, when: not ip.known, points: 5 }
        decide:
          - { id: locked, when: account.locked, outcome: deny }
          - { id: default, outcome: passive }
        lockout: { threshold: 5, window: 15m, duration: 30m, bans_after: 0 }
        """
        let result = PolicyCompiler.compile(source: source, file: "reading.yaml", baseDirectory: nil)
        return try #require(result.policy, "policy does not compile: \(result.diagnostics)")
    }

    /// A timed sequence sees its own failures and lockout, by its own times, whenever it is sent
    /// (here two days after it happened): `account.failures` counts up, the threshold locks, and
    /// the lock ends `duration` after the last failure by request time.
    @Test func pastDatedFailuresCountAndLockByTheirOwnTimes() throws {
        let now = Timestamp.parse("2026-11-22T12:00:00Z")!
        let engine = try DecisionEngine(policy: Self.readingPolicy(), store: MemoryStateStore(), clock: ManualClock(now))
        func attempt(_ time: String, _ result: String?) throws -> Decision {
            try engine.decide(Self.request("u-4", time, ip: "203.0.113.7", country: "DE", lat: 52.5, lon: 13.4, result: result),
                              explain: true)
        }
        var seen: [JSONValue?] = []
        for minute in 1...4 {
            seen.append(try attempt("2026-11-20T10:0\(minute):00Z", "failure").explanation?.signals["account.failures"])
        }
        #expect(seen == [.number(0), .number(1), .number(2), .number(3)])
        let fifth = try attempt("2026-11-20T10:05:00Z", "failure")
        #expect(fifth.lockedAccount)
        #expect(try attempt("2026-11-20T10:20:00Z", "success").outcome == .deny)
        let after = try attempt("2026-11-20T10:40:00Z", "success")
        #expect(after.rule != "locked")
        #expect(after.explanation?.signals["account.locked"] == .bool(false))
    }

    @Test func failedPasswordsLockThenBan() throws {
        let start = Timestamp.parse("2026-11-20T12:00:00Z")!
        let clock = ManualClock(start)
        let engine = try DecisionEngine(policy: Self.policy(), store: MemoryStateStore(), clock: clock)
        func attempt(_ offset: Double, result: String) throws -> Decision {
            clock.set(start.addingTimeInterval(offset))
            var r = Self.request("u-3", Timestamp.format(start.addingTimeInterval(offset)), ip: "81.2.69.1", country: "DE",
                                 lat: 52.5, lon: 13.4, result: result)
            r.device = .init(id: "d-1")
            return try engine.decide(r)
        }
        // An accepted login from d-1 makes it a familiar device: its failures can lead to a ban.
        #expect(try attempt(-100, result: "success").outcome == .passive)
        // Only the failure that locks the account says so (the service counts lockouts from it).
        let failures = try (0..<5).map { try attempt(Double($0), result: "failure") }
        #expect(failures.map(\.lockedAccount) == [false, false, false, false, true])
        let locked = try attempt(10, result: "success")
        #expect(!locked.lockedAccount)
        #expect(locked.outcome == .deny)
        #expect(locked.rule == "locked")
        // After the lockout expires, five more failures make the second lockout: a ban.
        for i in 0..<5 { _ = try attempt(3600 + Double(i), result: "failure") }
        let banned = try attempt(7200 * 10, result: "success")
        #expect(banned.outcome == .deny)
        #expect(banned.rule == "banned")
    }

    @Test func sqliteStoreKeepsStateAuditAndNoSecrets() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rg-engine-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("state.db").path
        let clock = ManualClock(Timestamp.parse("2026-11-20T12:00:00Z")!)
        let store = try SQLiteStateStore(path: path)
        let engine = try DecisionEngine(policy: Self.policy(), store: store, clock: clock)
        try engine.updateAccount(user: "u-4", AccountUpdate(phone: "+4915112345678",
                                                           kba: [.init(question: "first pet", answer: "Rexalot Fluffington")]))
        let decision = try engine.decide(Self.request("u-4", "2026-11-20T11:59:00Z", ip: "185.220.101.9", country: "DE", lat: 52.5, lon: 13.4))
        #expect(decision.outcome == .otp)
        let challenge = try #require(decision.challenge)
        let message = try #require(try store.outbox(limit: 10).first { $0.challenge == challenge.id })
        #expect(!message.body.contains("\"code\""))
        let opened = try message.openedForDelivery(keyring: store.secrets)
        let code = try #require(opened.body.split(separator: "\"").dropFirst(3).first.map(String.init))
        #expect(code.count == 6)
        let wrong = code == "000000" ? "111111" : "000000"
        #expect(try engine.verify(challengeID: challenge.id, step: "otp", response: wrong).result == .failed)
        #expect(try engine.verify(challengeID: challenge.id, step: "otp", response: code).result == .passed)
        try store.removeOutbox([message.id!])
        // The passed challenge recorded the login: the device is now known.
        let next = try engine.decide(Self.request("u-4", "2026-11-20T12:00:00Z", ip: "81.2.69.1", country: "DE", lat: 52.5, lon: 13.4),
                                     explain: true)
        #expect(next.explanation?.signals["device.new"] == .bool(false))
        let verification = try AuditVerifier.verify(databaseAt: path)
        #expect(verification.valid)
        #expect(verification.records >= 4)
        var bytes = Data()
        for suffix in ["", "-wal"] {
            if let data = FileManager.default.contents(atPath: path + suffix) { bytes.append(data) }
        }
        for secret in [code, "Rexalot Fluffington", "rexalot fluffington"] {
            #expect(bytes.range(of: Data(secret.utf8)) == nil, "`\(secret)` found in the database file")
        }
    }

    @Test(arguments: [false, true])
    func feedbackNeedsAKnownDecisionAndFilesItUnderItsUser(sqlite: Bool) throws {
        let dir = TempDirectory()
        defer { dir.cleanup() }
        let store: any StateStore = sqlite ? try SQLiteStateStore(path: dir.path("state.db")) : MemoryStateStore()
        let engine = try DecisionEngine(policy: Self.policy(), store: store,
                                        clock: ManualClock(Timestamp.parse("2026-11-20T12:00:00Z")!))
        let decision = try engine.decide(Self.request("u-6", "2026-11-20T11:00:00Z", ip: "81.2.69.1", country: "DE", lat: 52.5, lon: 13.4))
        let before = try store.auditEntries()
        let error = #expect(throws: FeedbackError.self) { try engine.feedback(decisionID: "dec-nope", label: "legit") }
        #expect(error?.field == "decision")
        #expect(try store.auditEntries() == before, "nothing is written for an unknown decision")
        try engine.feedback(decisionID: decision.id, label: "fraud")
        let record = try #require(try store.auditEntries().last)
        #expect(record.kind == "feedback" && record.user == "u-6" && record.reference == decision.id && record.result == "fraud")
        #expect(try AuditVerifier.verify(store: store).valid)
    }

    @Test func hotSwapChangesDecisionsAndShadowIsOnlyLogged() throws {
        let clock = ManualClock(Timestamp.parse("2026-11-20T12:00:00Z")!)
        let store = MemoryStateStore()
        let engine = try DecisionEngine(policy: Self.policy(), store: store, clock: clock)
        let strict = Self.policySource.replacingOccurrences(of: "policy: engine-test", with: "policy: strict")
            .replacingOccurrences(of: "{ id: default, outcome: passive }", with: "{ id: default, outcome: otp }")
        let compiled = try #require(PolicyCompiler.compile(source: strict, file: "strict.yaml", baseDirectory: nil).policy)
        engine.replaceShadow(compiled, source: strict)
        let first = try engine.decideWithShadow(Self.request("u-5", "2026-11-20T11:00:00Z", ip: "81.2.69.1", country: "DE", lat: 52.5, lon: 13.4))
        #expect(first.decision.outcome == .passive)
        // The shadow is logged as it would have been carried out: u-5 has no phone or email on
        // file, so its OTP could not be sent and it would have gone to `on_failure`.
        #expect(first.shadow?.outcome == .agentEscalation)
        #expect(first.shadow?.escalated?.from == .otp)
        let audit = try store.auditEntries()
        #expect(audit.contains { $0.kind == "shadow" && $0.outcome == "agent_escalation" })
        #expect(try store.outbox(limit: 10).allSatisfy { $0.kind != "otp" }, "a shadow delivers nothing")
        engine.replacePolicy(compiled, source: strict)
        #expect(engine.policy.name == "strict")
    }
}
