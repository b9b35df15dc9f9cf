import Foundation
import Testing
@testable import RiskGatePolicy
@testable import RiskGateReplay

/// Per-rule counts, unique catches and takeovers let through, on a hand-made stream through the
/// real replay engine; every count below is worked out by hand in the comments.
@Suite struct ReplayRuleCountTests {
    static let policy = """
    riskgate: 1
    policy: rules-test
    score:
      rules:
        - { id: new-dev, when: device.new, points: 30 }
        - { id: emu, when: device.emulator, points: 40 }
        - { id: never, when: device.rooted, points: 5 }
    decide:
      - { id: blocked, when: device.emulator and device.new, outcome: deny }
      - { id: high, when: score >= 40, outcome: otp }
      - { id: unused, when: 'channel == "voice"', outcome: deny }
      - { id: default, outcome: passive }
    """

    static func event(_ n: Int, new: Bool, emulator: Bool, label: String?) -> String {
        let labelJSON = switch label {
        case "legit": #","label":{"attack":false}"#
        case "attack": #","label":{"attack":true}"#
        case "takeover": #","label":{"attack":true,"account_takeover":true}"#
        default: ""
        }
        return #"{"id":"e\#(n)","user":"u-\#(n)","time":"2026-01-01T0\#(n):00:00Z","channel":"web","signals":{"device.new":\#(new),"device.emulator":\#(emulator)}\#(labelJSON)}"#
    }

    static func report() throws -> ReplayReport {
        let lines = [
            event(1, new: false, emulator: false, label: "legit"),    // score 0: default
            event(2, new: true, emulator: false, label: "legit"),     // 30: default
            event(3, new: true, emulator: true, label: "attack"),     // 70: blocked (high matches too)
            event(4, new: false, emulator: true, label: "takeover"),  // 40: high, alone: a unique catch
            event(5, new: true, emulator: false, label: "takeover"),  // 30: default, let through
            event(6, new: true, emulator: true, label: nil),          // 70: blocked
        ]
        let compiled = PolicyCompiler.compile(source: policy, file: "rules-test.yaml", baseDirectory: nil)
        let engine = try ReplayEngine(policy: try #require(compiled.policy, "\(compiled.diagnostics)"))
        let reader = try EventReader(path: try temporaryFile(lines.joined(separator: "\n") + "\n"))
        return try ReplayHarness.run(reader: reader, candidate: engine)
    }

    @Test func decideRulesCountWhatTheyDecidedAndWhatOnlyTheyStopped() throws {
        let rules = try Self.report().rules
        let blocked = try #require(rules["blocked"])
        #expect((blocked.kind, blocked.matched, blocked.legit, blocked.attack, blocked.accountTakeover, blocked.unknown) == ("decide", 2, 0, 1, 0, 1))
        #expect(blocked.attackPrecision == 1 && blocked.uniqueCatches == 0)
        let high = try #require(rules["high"])
        #expect((high.matched, high.attack, high.accountTakeover, high.uniqueCatches) == (1, 1, 1, 1))
        let fallback = try #require(rules["default"])
        #expect((fallback.matched, fallback.legit, fallback.attack, fallback.accountTakeover) == (3, 2, 1, 1))
        #expect(fallback.attackPrecision == 1.0 / 3)
        #expect(rules["unused"]?.neverMatched == true)
        #expect(rules["unused"]?.matched == 0)
        // Every event is decided by exactly one rule.
        let decided = rules.values.filter { $0.kind == "decide" }.reduce(0) { $0 + $1.matched }
        #expect(decided == 6)
    }

    @Test func scoreRulesCountWhenTheyGavePointsAndHowMany() throws {
        let rules = try Self.report().rules
        let newDevice = try #require(rules["new-dev"])
        #expect((newDevice.kind, newDevice.matched, newDevice.legit, newDevice.attack, newDevice.accountTakeover, newDevice.unknown) == ("score", 4, 1, 2, 1, 1))
        #expect(newDevice.points == LabelPoints(legit: 30, attack: 60, accountTakeover: 30, unknown: 30))
        #expect(newDevice.uniqueCatches == nil)
        let emulator = try #require(rules["emu"])
        #expect((emulator.matched, emulator.attack, emulator.accountTakeover, emulator.unknown) == (3, 2, 1, 1))
        #expect(emulator.points == LabelPoints(legit: 0, attack: 80, accountTakeover: 40, unknown: 40))
        #expect(rules["never"]?.neverMatched == true)
    }

    @Test func takeoversLetThroughNameTheSignalsThatWereOn() throws {
        let report = try Self.report()
        #expect(report.takeoversLetThrough == 1)
        let example = try #require(report.takeoversLetThroughExamples.first)
        #expect(report.takeoversLetThroughExamples.count == 1)
        #expect((example.id, example.user, example.rule, example.score) == ("e5", "u-5", "default", 30))
        #expect(example.signals.contains("device.new") && !example.signals.contains("device.emulator"))
        let object = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(report)) as? [String: Any])
        let rules = try #require(object["rules"] as? [String: [String: Any]])
        #expect(rules["high"]?["kind"] as? String == "decide" && rules["high"]?["matched"] as? Int == 1)
        #expect(rules["high"]?["legit"] as? Int == 0 && rules["high"]?["attack"] as? Int == 1)
        #expect(object["takeovers_let_through_examples"] is [Any])
    }
}
