import Foundation
import Testing
@testable import RiskGateEngine
@testable import RiskGatePolicy

/// Random and mutated policies and expressions never crash the compiler, and every diagnostic
/// it returns is well-formed.
@Suite struct FuzzTests {
    static let seedPolicy = """
    riskgate: 1
    policy: fuzz
    lists:
      office: { cidrs: [203.0.113.0/24] }
      countries: { values: [KP, IR] }
    settings: { impossible_travel_kmh: 900, history_window: 90d }
    score:
      rules:
        - { id: a, when: ip in office, points: 10 }
        - { id: b, when: device.new and not typing.enrolled, points: 30 * typing.anomaly }
        - { id: c, points: 'max(5, min(account.failures * 2, 20))' }
    decide:
      - { id: banned, when: account.banned, outcome: deny }
      - id: group
        when: channel == "voice" or ip.country in countries
        rules:
          - { id: g1, when: geo.velocity_kmh > impossible_travel_kmh, outcome: agent_escalation }
      - { id: high, when: score >= 70 and device.age < 7d, outcome: otp_kba_delay }
      - { id: default, outcome: passive }
    challenges:
      otp: { ttl: 5m, on_failure: agent_escalation }
      fallbacks: [{ when: not account.has_phone, replace: otp, with: kba }]
    """

    static let alphabet = Array("abcdeiklmnoprstuvwxyz.0123456789 _-:{}[](),\"'&|!<>=*+/#\n\t&*!|>%@`~\\")

    func check(_ source: String) {
        let result = PolicyCompiler.compile(source: source, file: "fuzz.yaml", baseDirectory: nil)
        for d in result.diagnostics {
            #expect(d.line >= 1 && d.column >= 1 && d.code.hasPrefix("RG") && !d.message.isEmpty)
        }
        #expect((result.policy == nil) == result.hasErrors)
        if let policy = result.policy {
            var signals = SignalValues()
            var evaluation = Evaluation()
            policy.evaluate(&signals, into: &evaluation)
            #expect(evaluation.ruleIndex >= 0)
        }
    }

    @Test func mutatedPoliciesNeverCrash() {
        var random = SeededRandom(seed: 2026)
        let base = Array(Self.seedPolicy)
        for _ in 0..<400 {
            var text = base
            for _ in 0..<Int.random(in: 1...6, using: &random) {
                let i = Int.random(in: 0..<text.count, using: &random)
                switch Int.random(in: 0..<4, using: &random) {
                case 0: text.remove(at: i)
                case 1: text.insert(Self.alphabet.randomElement(using: &random)!, at: i)
                case 2: text[i] = Self.alphabet.randomElement(using: &random)!
                default:
                    let j = Int.random(in: 0..<text.count, using: &random)
                    text.insert(contentsOf: text[min(i, j)..<min(max(i, j), min(i, j) + 40)], at: i)
                }
            }
            check(String(text))
        }
    }

    @Test func randomExpressionsNeverCrash() {
        var random = SeededRandom(seed: 7)
        let words = ["score", "device.new", "ip", "in", "office", "not", "and", "or", "==", "<", ">=", "(", ")", "[", "]", ",",
                     "30s", "5m", "900 km/h", "50 km", "\"voice\"", "channel", "min(", "max(", "1", "-", "+", "*", "/", "true",
                     "geo.velocity_kmh", "account.age", "typing.anomaly", "score.band", "impossible_travel_kmh", "foo", "7d"]
        for _ in 0..<600 {
            let expression = (0..<Int.random(in: 1...12, using: &random)).map { _ in words.randomElement(using: &random)! }.joined(separator: " ")
            let escaped = expression.replacingOccurrences(of: "'", with: "''")
            check("riskgate: 1\npolicy: p\nlists: { office: { cidrs: [192.0.2.0/24] } }\ndecide:\n  - id: a\n    when: '\(escaped)'\n    outcome: otp\n  - { id: b, outcome: passive }\n")
        }
    }

    @Test func randomBytesNeverCrash() {
        var random = SeededRandom(seed: 99)
        for _ in 0..<200 {
            let bytes = (0..<Int.random(in: 0...300, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            check(String(decoding: bytes, as: UTF8.self))
        }
    }
}
