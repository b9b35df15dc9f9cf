import HummingbirdTesting
import RiskGateServer
import Testing

@Suite("GET /metrics and the metrics scope")
struct MetricsAuthTests {
    @Test func metricsNeedsAKeyWithTheMetricsScope() async throws {
        let h = try Harness()
        try await h.app.test(.router) { client in
            expectError(try await client.send(.get, "/metrics"), .unauthorized, code: "unauthorized")
            expectError(try await client.send(.get, "/metrics", key: TestKeys.decide), .forbidden, code: "forbidden")
            expectError(try await client.send(.get, "/metrics", key: TestKeys.admin), .forbidden, code: "forbidden")
            let scraped = try await client.send(.get, "/metrics", key: TestKeys.metrics)
            #expect(scraped.status == .ok)
            #expect(scraped.text.contains("riskgate_decisions_total"))
            // A metrics key is good for nothing else.
            expectError(try await client.send(.post, "/v1/decisions", key: TestKeys.metrics, body: "{}"), .forbidden,
                        code: "forbidden")
        }
    }

    @Test func publicMetricsAnswersWithoutAKey() async throws {
        let h = try Harness(configuration: .init(port: 0, publicMetrics: true))
        try await h.app.test(.router) { client in
            do { let actual = try await client.send(.get, "/metrics").status; #expect(actual == .ok) }
            do { let actual = try await client.send(.post, "/v1/decisions", body: "{}").status; #expect(actual == .unauthorized) }
        }
    }
}
