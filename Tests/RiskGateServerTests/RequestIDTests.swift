import Foundation
import HTTPTypes
import HummingbirdTesting
import RiskGate
import RiskGateServer
import Testing
import RiskGatePolicy

@Suite("request and decision ids")
struct RequestIDTests {
    /// Hummingbird's ids count up from a random start (same first half, last digits +1); the
    /// service's are 128 random bits, so two in a row share nothing.
    @Test func requestIDsAreRandom128Bits() async throws {
        let h = try Harness()
        let ids = try await h.app.test(.router) { client in
            var ids: [String] = []
            for _ in 0..<3 {
                let response = try await client.send(.get, "/healthz")
                ids.append(try #require(response.headers[HTTPField.Name("X-Request-Id")!]))
            }
            return ids
        }
        for id in ids {
            #expect(id.count == 32, "\(id)")
            #expect(id.allSatisfy { $0.isHexDigit && !$0.isUppercase }, "\(id)")
        }
        #expect(Set(ids).count == 3)
        for (a, b) in zip(ids, ids.dropFirst()) {
            #expect(a.prefix(16) != b.prefix(16), "\(a) and \(b) share their first half")
            #expect(a.suffix(16) != b.suffix(16))
        }
        // The log line of each request carries the same id as its header.
        for id in ids { #expect(h.logs.text.contains("\"hb.request.id\":\"\(id)\"")) }
    }

    /// Decision ids from the real engine as `serve` builds it: milliseconds, then 64 bits from
    /// the system CSPRNG (`SystemRandomSource`), so consecutive ids are not guessable from each other.
    @Test func decisionIDsHaveARandomPart() async throws {
        let compiled = PolicyCompiler.compile(
            source: "riskgate: 1\npolicy: p\ndecide:\n  - { id: default, outcome: passive }\n", file: "p.yaml", baseDirectory: nil)
        let policy = try #require(compiled.policy, "\(compiled.diagnostics)")
        let engine = try DecisionEngine(policy: policy, source: "", store: MemoryStateStore())
        let backend = EngineBackend(engine: engine, baseDirectory: nil)
        let first = try await backend.decide(RequestContext(user: "u-1"), explain: false).id
        let second = try await backend.decide(RequestContext(user: "u-1"), explain: false).id
        #expect(first.hasPrefix("dec-") && first.count == 4 + 11 + 16, "\(first)")
        #expect(first.suffix(16) != second.suffix(16))
    }
}
