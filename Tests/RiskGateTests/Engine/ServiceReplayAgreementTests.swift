import Foundation
import Testing
@testable import RiskGate
@testable import RiskGateEngine
@testable import RiskGatePolicy
@testable import RiskGateReplay

/// Replay exists to predict what the service does: one labelled stream, decided by the service
/// engine on SQLite (with each challenge answered as the label says) and by replay, must get the
/// same outcome, deciding rule and score for every event.
@Suite struct ServiceReplayAgreementTests {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let datasetPath = root.appendingPathComponent("datasets/sample-events.jsonl").path
    /// Events of the shipped sample taken: enough for lockouts, bans and learned histories.
    static let events = 3_000

    /// Steps up to an OTP by SMS only (every user has a phone), so each challenge is one code the
    /// test can answer; the lock guard, not a rule, denies locked accounts and busy networks.
    static let policy = """
        riskgate: 1
        policy: service-replay-agreement
        settings:
          history_window: 90d
          typing_min_enrollment: 10
        score:
          rules:
            - { id: new-device,  when: device.new,      points: 20 }
            - { id: new-country, when: geo.new_country, points: 25 }
            - { id: unknown-ip,  when: not ip.known,    points: 10 }
            - { id: model,       points: 40 * model.risk }
            - { id: typing,      when: typing.enrolled, points: 30 * typing.anomaly }
            - { id: failures,    when: account.failures >= 1, points: 'min(10 * account.failures, 30)' }
          bands: { medium: 30, high: 60 }
        decide:
          - { id: high,    when: score >= 60, outcome: deny }
          - { id: medium,  when: score >= 30, outcome: otp }
          - { id: default, outcome: passive }
        challenges:
          otp: { length: 6, ttl: 5m, max_attempts: 3, channels: [sms], on_failure: deny }
        lockout:
          threshold: 3
          window: 15m
          duration: 30m
          bans_after: 2
          network_threshold: 4
        """

    struct Decided: Equatable, CustomStringConvertible {
        var outcome: Outcome
        var rule: String
        var score: Double
        var description: String { "\(outcome.rawValue) by \(rule) at \(score)" }
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: datasetPath), "needs datasets/sample-events.jsonl"))
    func serviceAndReplayDecideEveryEventAlike() throws {
        let compiled = PolicyCompiler.compile(source: Self.policy, file: "agreement.yaml", baseDirectory: nil)
        let policy = try #require(compiled.policy, "\(compiled.diagnostics)")
        let text = try String(contentsOfFile: Self.datasetPath, encoding: .utf8)
        let slice = text.split(separator: "\n", omittingEmptySubsequences: true).prefix(Self.events).joined(separator: "\n")
        let events = try readAll(EventReader(path: try temporaryFile(slice + "\n")))
        try #require(events.count == Self.events)
        let users = Set(events.map(\.context.user)).sorted()

        let directory = TempDirectory()
        defer { directory.cleanup() }
        let store = try SQLiteStateStore(path: directory.path("state.db"))
        let clock = ManualClock(try #require(events.first?.context.time))
        let engine = try DecisionEngine(policy: policy, store: store, clock: clock, random: TestRandom())
        // Both sides start from the same accounts: a phone on file, so every OTP can be sent.
        let accounts = MemoryStateStore(keepsAudit: false)
        var profiles = StateChange()
        for (i, user) in users.enumerated() {
            profiles.users[user] = try engine.updateAccount(user: user, AccountUpdate(phone: "+4670000\(1000 + i)"))
        }
        try accounts.commit(profiles)
        let replay = try ReplayEngine(policy: policy, backing: accounts)

        var service: [Decided] = []
        var replayed: [Decided] = []
        for event in events {
            let time = try #require(event.context.time)
            clock.set(time)
            let decision = try engine.decide(event.context)
            // Replay does not model delivery fall-backs: compare the outcome the graph (or the lock guard) chose.
            #expect(decision.escalated == nil, "no fall-back expected: every user has a phone")
            service.append(Decided(outcome: decision.escalated?.from ?? decision.outcome, rule: decision.rule,
                                   score: decision.score))
            if let challenge = decision.challenge {
                try answer(challenge.id, engine: engine, store: store, attacker: event.attackerFailsChallenges)
            }
            let result = try replay.replay(event.context, attackerFailsChallenges: event.attackerFailsChallenges)
            replayed.append(Decided(outcome: result.outcome, rule: result.rule, score: result.score))
        }

        // Not a degenerate stream: every path of the kernel is taken.
        let rules = Set(service.map(\.rule))
        #expect(Set(service.map(\.outcome)) == [.passive, .otp, .deny])
        #expect(rules.isSuperset(of: ["account.locked", "high", "medium", "default"]), "\(rules.sorted())")
        var differences = 0
        for (i, (s, r)) in zip(service, replayed).enumerated() where s != r {
            differences += 1
            if differences <= 5 { Issue.record("event \(i + 1) (\(events[i].context.user)): service \(s), replay \(r)") }
        }
        #expect(differences == 0)
    }

    /// Plays the user's side of a challenge as replay does: an attacker gives one wrong code
    /// (one failure toward lockout), anyone else the code that was sent.
    func answer(_ challenge: String, engine: DecisionEngine, store: SQLiteStateStore, attacker: Bool,
                sourceLocation: SourceLocation = #_sourceLocation) throws {
        let messages = try store.outbox(limit: 10)
        try store.removeOutbox(messages.compactMap(\.id))
        let message = try #require(messages.first { $0.challenge == challenge && $0.kind == "otp" },
                                   sourceLocation: sourceLocation)
        let opened = try message.openedForDelivery(keyring: store.secrets)
        let fields = try JSONDecoder().decode([String: String].self, from: Data(opened.body.utf8))
        let code = try #require(fields["code"], sourceLocation: sourceLocation)
        let wrong = String(code.map { $0 == "9" ? "0" : Character(String(($0.wholeNumberValue ?? 0) + 1)) })
        let result = try engine.verify(challengeID: challenge, step: "otp", response: attacker ? wrong : code)
        #expect(result.result == (attacker ? .failed : .passed) || result.result == .locked, sourceLocation: sourceLocation)
    }
}
