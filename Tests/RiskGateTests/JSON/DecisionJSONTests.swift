import Foundation
import Testing
@testable import RiskGateEngine
@testable import RiskGatePolicy

/// The service's hand-written decision JSON is byte for byte what `JSONEncoder` writes.
@Suite struct DecisionJSONTests {
    static let strings = ["", "otp", "a/b", "quote \" and \\ backslash", "tab\tnew\nline", "\u{1}\u{1f}", "é 😀 ü", "</script>"]

    func randomString(_ rng: inout SeededRandom) -> String {
        Self.strings[Int(rng.next() % UInt64(Self.strings.count))] + String(rng.next() % 1000)
    }

    func randomNumber(_ rng: inout SeededRandom) -> Double {
        switch rng.next() % 5 {
        case 0: Double(rng.next() % 101)
        case 1: Double(rng.next() % 10_000) / 100
        case 2: -0.0
        case 3: Double(bitPattern: rng.next() & 0x7FEF_FFFF_FFFF_FFFF)
        default: 1 / 3
        }
    }

    func randomDecision(_ rng: inout SeededRandom) -> Decision {
        var decision = Decision(
            id: "dec-" + randomString(&rng), outcome: Outcome.allCases[Int(rng.next() % UInt64(Outcome.allCases.count))],
            score: randomNumber(&rng), band: randomString(&rng), rule: randomString(&rng),
            path: (0..<Int(rng.next() % 4)).map { _ in randomString(&rng) },
            contributions: (0..<Int(rng.next() % 4)).map { _ in
                Decision.Contribution(id: randomString(&rng), points: randomNumber(&rng), reason: randomString(&rng))
            },
            policy: .init(name: randomString(&rng), hash: "sha256:" + randomString(&rng)))
        if rng.next() % 2 == 0 {
            decision.challenge = .init(
                id: randomString(&rng), steps: ["otp", "kba", "delay"], otp: rng.next() % 2 == 0 ? .init(channel: "sms", ttlS: 300) : nil,
                delayS: randomNumber(&rng), positions: rng.next() % 2 == 0 ? [1, 4, 7] : nil,
                agentVisibleCode: rng.next() % 3 == 0 ? "123456" : nil, questions: rng.next() % 2 == 0 ? [randomString(&rng)] : nil)
            if rng.next() % 2 == 0 {
                decision.challenge?.push = .init(device: randomString(&rng), number: rng.next() % 2 == 0 ? Int(rng.next() % 90) + 10 : nil,
                                                 ttlS: randomNumber(&rng))
            }
        }
        if rng.next() % 2 == 0 {
            var signals: [String: JSONValue] = [:]
            for _ in 0..<Int(rng.next() % 12) {
                let value: JSONValue = switch rng.next() % 4 {
                case 0: .null
                case 1: .bool(rng.next() % 2 == 0)
                case 2: .number(randomNumber(&rng))
                default: .string(randomString(&rng))
                }
                signals[randomString(&rng)] = value
            }
            decision.explanation = .init(
                signals: signals,
                conditions: [.init(rule: randomString(&rng), condition: randomString(&rng), value: rng.next() % 2 == 0)],
                model: rng.next() % 2 == 0 ? [.init(feature: "asn", value: randomString(&rng), logRatio: randomNumber(&rng))] : nil)
        }
        return decision
    }

    @Test func matchesJSONEncoder() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var rng = SeededRandom(seed: 11)
        for _ in 0..<1_500 {
            let decision = randomDecision(&rng)
            let expected = try encoder.encode(decision)
            let written = try decision.responseJSON()
            #expect(Data(written) == expected, "\(String(decoding: written, as: UTF8.self))\n\(String(decoding: expected, as: UTF8.self))")
            if Data(written) != expected { break }
        }
    }

    @Test func nonFiniteScoreIsRefusedLikeJSONEncoder() {
        var decision = Decision(id: "d", outcome: .otp, score: .nan, band: "high", rule: "r", path: [], contributions: [],
                                policy: .init(name: "p", hash: "h"))
        #expect(throws: JSONWriter.Failure.self) { try decision.responseJSON() }
        decision.score = 1
        #expect(throws: Never.self) { try decision.responseJSON() }
    }
}
