import Foundation
import HummingbirdTesting
import RiskGate
import RiskGateServer
import Testing
import RiskGatePolicy

/// `PUT /v1/policy` over the real ``EngineBackend``: uploads go through the same compiler as
/// `riskgate check`, on the blocking-work pool, so its limits protect the service too.
@Suite("HTTP policy upload, real engine")
struct EngineBackendPolicyTests {
    static let first = "riskgate: 1\npolicy: first\ndecide:\n  - { id: default, outcome: passive }\n"

    /// A policy whose one expression is `1+1+...+1` with `terms` terms.
    static func chained(_ terms: Int) -> String {
        let chain = Array(repeating: "1", count: terms).joined(separator: "+")
        return "riskgate: 1\npolicy: long\nscore:\n  rules:\n    - { id: r, points: '\(chain)' }\ndecide:\n  - { id: default, outcome: passive }\n"
    }

    /// Once a stack overflow that took the whole service down; now an ordinary rejection.
    @Test func uploadWithATenThousandTermChainIsRejectedAndTheServiceLives() async throws {
        let initial = PolicyCompiler.compile(source: Self.first, file: "p.yaml", baseDirectory: nil)
        let engine = try DecisionEngine(policy: try #require(initial.policy), source: Self.first, store: MemoryStateStore())
        let app = try makeApplication(backend: EngineBackend(engine: engine, baseDirectory: nil), keys: try TestKeys.store(),
                                  configuration: .init(port: 0), logger: LogCapture().logger())
        try await app.test(.router) { client in
            let rejected = try await client.send(.put, "/v1/policy", key: TestKeys.admin, body: Self.chained(10_000),
                                                 headers: [.contentType: "application/yaml"])
            expectError(rejected, .unprocessableContent, code: "policy_rejected")
            let diagnostics = try #require(rejected.json["diagnostics"] as? [[String: Any]])
            #expect(diagnostics.map { $0["code"] as? String } == ["RG1206"])
            #expect(diagnostics.first?["line"] as? Int == 5)

            let accepted = try await client.send(.put, "/v1/policy", key: TestKeys.admin, body: Self.chained(100),
                                                 headers: [.contentType: "application/yaml"])
            #expect(accepted.status == .ok, "\(accepted.text)")
            let decision = try await client.send(.post, "/v1/decisions", key: TestKeys.decide, body: #"{"user": "u"}"#)
            #expect(decision.json["score"] as? Double == 100, "\(decision.text)")
        }
    }
}
