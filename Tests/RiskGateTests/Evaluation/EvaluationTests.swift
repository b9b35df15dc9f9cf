import Foundation
import Testing
@testable import RiskGateEngine
@testable import RiskGatePolicy

@Suite struct EvaluationTests {
    static let source = """
    riskgate: 1
    policy: eval
    lists:
      office: { cidrs: [203.0.113.0/24] }
    score:
      rules:
        - { id: new-device, when: device.new, points: 30, reason: first time on this device }
        - { id: model, points: 100 * model.risk }
        - { id: anomaly, when: typing.enrolled, points: 40 * typing.anomaly }
        - { id: bonus, when: ip in office, points: -20 }
      bands: { medium: 30, high: 60 }
    decide:
      - { id: banned, when: account.banned, outcome: deny }
      - id: voice
        when: channel == "voice"
        rules:
          - { id: mismatch, when: not phone.ani_match, outcome: otp }
          - id: nested
            when: device.new
            rules:
              - { id: deep, when: score >= 30, outcome: agent_escalation }
      - { id: slow, when: geo.velocity_kmh < 100 km/h, outcome: passive }
      - { id: fast, when: geo.velocity_kmh / 2 >= impossible_travel_kmh, outcome: deny }
      - { id: high, when: score >= 60, outcome: otp_kba_delay }
      - { id: medium, when: score.band == "medium", outcome: otp }
      - { id: default, outcome: passive }
    challenges:
      fallbacks:
        - { when: not account.has_phone, replace: otp, with: kba }
        - { when: channel == "voice", replace: sms, with: email }
    """

    static let policy: CompiledPolicy = {
        let result = PolicyCompiler.compile(source: source, file: "eval.yaml", baseDirectory: nil)
        precondition(result.diagnostics.isEmpty, DiagnosticRenderer.human(result.diagnostics))
        return result.policy!
    }()

    func run(_ values: [Signal: Value]) -> (Evaluation, Decision) {
        var signals = SignalValues()
        for (s, v) in values { signals[s] = v }
        var evaluation = Evaluation()
        Self.policy.evaluate(&signals, into: &evaluation)
        return (evaluation, Self.policy.decision(id: "d", signals: signals, evaluation: evaluation, explain: true))
    }

    @Test func firstMatchWins() {
        let (e, d) = run([.accountBanned: .bool(true), .channel: .string("voice")])
        #expect(e.outcome == .deny && d.rule == "banned" && d.path == ["banned"])
    }

    @Test func nestedGroupsAndFallThrough() {
        let (_, deep) = run([.channel: .string("voice"), .phoneAniMatch: .bool(true), .deviceNew: .bool(true)])
        #expect(deep.rule == "deep" && deep.path == ["voice", "nested", "deep"] && deep.outcome == .agentEscalation)
        // The group matches but none of its rules do: evaluation goes on after it.
        let (_, after) = run([.channel: .string("voice"), .phoneAniMatch: .bool(true)])
        #expect(after.rule == "default" && after.outcome == .passive)
        let (_, mismatch) = run([.channel: .string("voice")])
        #expect(mismatch.rule == "mismatch", "an unavailable bool reads false, so `not` of it is true")
    }

    @Test func unavailableSemantics() {
        // Comparisons with an unavailable value are false: neither `slow` nor `fast` match.
        let (_, none) = run([:])
        #expect(none.rule == "default" && none.score == 0)
        let (_, slow) = run([.geoVelocityKmh: .speed(50)])
        #expect(slow.rule == "slow")
        let (_, fast) = run([.geoVelocityKmh: .speed(2000)])
        #expect(fast.rule == "fast")
        // Arithmetic with unavailable is unavailable, so the rule adds 0.
        let (e, _) = run([.typingEnrolled: .bool(true)])
        #expect(e.points == [0, 0, 0, 0])
    }

    /// Compiles a policy whose one rule has the condition `when`, and tells whether it matches `signals`.
    static func matches(_ when: String, _ signals: SignalValues, sourceLocation: SourceLocation = #_sourceLocation) throws -> Bool {
        let source = """
        riskgate: 1
        policy: condition
        decide:
          - { id: hit, when: '\(when)', outcome: otp }
          - { id: default, outcome: passive }
        """
        let compiled = PolicyCompiler.compile(source: source, file: "condition.yaml", baseDirectory: nil)
        let policy = try #require(compiled.policy, "\(when): \(DiagnosticRenderer.human(compiled.diagnostics))",
                                  sourceLocation: sourceLocation)
        var signals = signals
        var evaluation = Evaluation()
        policy.evaluate(&signals, into: &evaluation)
        return evaluation.outcome == .otp
    }

    /// Numeric comparisons of a signal with a constant compile to one node; either way round, and
    /// as the general form (`+ 0` keeps the arithmetic), they must agree with plain comparison,
    /// false whenever the signal is unavailable.
    @Test(arguments: [
        (Signal.accountFailures, "3", 3.0, { Value.number($0) } as @Sendable (Double) -> Value),
        (Signal.deviceAge, "7d", 7 * 86_400.0, { Value.duration($0) } as @Sendable (Double) -> Value),
        (Signal.geoVelocityKmh, "900 km/h", 900.0, { Value.speed($0) } as @Sendable (Double) -> Value),
    ])
    func numericComparisonsAgreeInEveryForm(signal: Signal, constant: String, magnitude: Double,
                                            make: @Sendable (Double) -> Value) throws {
        let operators: [(String, (Double, Double) -> Bool)] = [
            ("==", { $0 == $1 }), ("!=", { $0 != $1 }), ("<", { $0 < $1 }),
            ("<=", { $0 <= $1 }), (">", { $0 > $1 }), (">=", { $0 >= $1 }),
        ]
        let zero = signal == .accountFailures ? "0" : constant == "7d" ? "0s" : "0 km/h"
        for (symbol, reference) in operators {
            for form in ["\(signal.name) \(symbol) \(constant)", "\(constant) \(symbol) \(signal.name)",
                         "\(signal.name) + \(zero) \(symbol) \(constant)"] {
                for value in [nil, magnitude - 1, magnitude, magnitude + 1] as [Double?] {
                    var signals = SignalValues()
                    if let value { signals[signal] = make(value) }
                    let swapped = form.hasPrefix(constant)
                    let expected = value.map { swapped ? reference(magnitude, $0) : reference($0, magnitude) } ?? false
                    #expect(try Self.matches(form, signals) == expected, "`\(form)` with \(value.map { "\($0)" } ?? "unavailable")")
                }
            }
        }
    }

    /// String equality of a signal with a constant is one node too; both orders, and false for
    /// `==` and `!=` alike when the signal is unavailable.
    @Test func stringComparisonsAgreeInEveryForm() throws {
        for (form, expected) in [
            ("channel == \"web\"", [nil: false, "web": true, "chat": false]),
            ("\"web\" == channel", [nil: false, "web": true, "chat": false]),
            ("channel != \"web\"", [nil: false, "web": false, "chat": true]),
            ("\"web\" != channel", [nil: false, "web": false, "chat": true]),
            ("channel == request.action", [nil: false, "web": true, "chat": false]),
        ] as [(String, [String?: Bool])] {
            for (value, hit) in expected {
                var signals = SignalValues()
                if let value { signals[.channel] = .string(value) }
                signals[.requestAction] = .string("web")
                #expect(try Self.matches(form, signals) == hit, "`\(form)` with \(value ?? "unavailable")")
            }
        }
    }

    @Test func scoreIsClampedAndContributionsAddUp() {
        let (e, d) = run([.deviceNew: .bool(true), .modelRisk: .number(0.9)])
        #expect(e.rawScore == 120 && e.score == 100 && e.band == "high" && d.outcome == .otpKbaDelay)
        #expect(d.contributions.map(\.points).reduce(0, +) == e.rawScore)
        #expect(d.contributions.map(\.id) == ["new-device", "model"])
        #expect(d.contributions[0].reason == "first time on this device")
        #expect(d.contributions[1].reason == "100 * model.risk")
        let (low, _) = run([.ipAddress: .ip(IPAddress("203.0.113.9")!)])
        #expect(low.rawScore == -20 && low.score == 0 && low.band == "low")
    }

    @Test func bandsAreUsableInDecide() {
        let (e, d) = run([.modelRisk: .number(0.45)])
        #expect(e.band == "medium" && d.rule == "medium" && d.outcome == .otp)
    }

    @Test func explanationListsSignalsAndConditions() throws {
        let (_, d) = run([.channel: .string("voice"), .phoneAniMatch: .bool(true), .deviceNew: .bool(true)])
        let explanation = try #require(d.explanation)
        #expect(explanation.signals["channel"] == .string("voice"))
        #expect(explanation.signals["geo.velocity_kmh"] == .null)
        #expect(explanation.conditions.map(\.rule) == ["voice", "nested", "deep"])
        #expect(explanation.conditions.allSatisfy { $0.value })
    }

    @Test func fallbacksAreEvaluable() {
        var signals = SignalValues()
        #expect(Self.policy.challenges.fallbacks.count == 2)
        #expect(Self.policy.fallbackApplies(0, signals: signals))
        #expect(!Self.policy.fallbackApplies(1, signals: signals))
        signals[.channel] = .string("voice")
        signals[.accountHasPhone] = .bool(true)
        #expect(!Self.policy.fallbackApplies(0, signals: signals))
        #expect(Self.policy.fallbackApplies(1, signals: signals))
        #expect(!Self.policy.fallbackApplies(7, signals: signals))
    }

    @Test func reusedBuffersGiveTheSameAnswers() {
        var signals = SignalValues()
        var evaluation = Evaluation()
        for risk in stride(from: 0.0, through: 1.0, by: 0.1) {
            signals.reset()
            signals[.modelRisk] = .number(risk)
            Self.policy.evaluate(&signals, into: &evaluation)
            let (fresh, _) = run([.modelRisk: .number(risk)])
            #expect(evaluation == fresh)
        }
    }

    @Test func graphRenders() {
        let dot = Self.policy.render(.dot)
        #expect(dot.hasPrefix("digraph \"eval\"") && dot.contains("r0 -> o_deny [label=\"yes\"]"))
        let mermaid = Self.policy.render(.mermaid)
        #expect(mermaid.hasPrefix("flowchart TD") && mermaid.contains("r1[[\"voice"))
        let json = Self.policy.render(.json)
        let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        #expect((object?["decide"] as? [Any])?.count == 7)
    }

    @Test func requestSignalsFillAndOverride() throws {
        var request = RequestContext(user: "u")
        request.channel = "chat"
        request.action = "payment"
        request.ip = "203.0.113.5"
        request.signals = ["device.age": .string("3d"), "model.risk": .number(0.2), "ip.known": .null]
        var signals = SignalValues()
        try RequestSignals.fill(request, into: &signals)
        #expect(signals[.channel] == .string("chat") && signals[.requestAction] == .string("payment"))
        #expect(signals[.ipAddress] == .ip(IPAddress("203.0.113.5")!))
        #expect(signals[.deviceAge] == .duration(259_200))
        #expect(signals[.modelRisk] == .number(0.2))
        request.signals = ["device.nwe": .bool(true)]
        #expect(throws: RequestSignals.OverrideError.self) { try RequestSignals.fill(request, into: &signals) }
        request.signals = ["device.new": .number(1)]
        #expect(throws: RequestSignals.OverrideError.self) { try RequestSignals.fill(request, into: &signals) }
    }

    @Test func testRunnerReportsFailures() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rg-runner-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try Self.source.write(to: directory.appendingPathComponent("p.yaml"), atomically: true, encoding: .utf8)
        try """
        policy: p.yaml
        cases:
          - { name: right, context: { user: u-1, signals: { account.banned: true } }, expect: { outcome: deny, rule: banned } }
          - { name: wrong, context: { user: u-1, channel: web }, expect: { outcome: otp } }
        """.write(to: directory.appendingPathComponent("p.test.yaml"), atomically: true, encoding: .utf8)
        let result = PolicyTestRunner().run(path: directory.appendingPathComponent("p.test.yaml").path)
        #expect(result.cases.map(\.passed) == [true, false])
        #expect(!result.passed)
        // A pluggable decide closure sees the history.
        let counting = PolicyTestRunner { policy, history, context in
            var decision = try PolicyTestRunner.requestOnly(policy, history, context)
            decision.rule = "history-\(history.count)"
            return decision
        }
        #expect(counting.run(path: directory.appendingPathComponent("p.test.yaml").path).cases.first?.failures.first?.contains("history-0") == true)
    }
}
