import Foundation
import HummingbirdTesting
import RiskGateServer
import Testing

@Suite("failed authentications in the log")
struct AuthFailureLogTests {
    /// The log lines with `msg` "authentication failed", as objects.
    static func failures(_ logs: LogCapture) -> [[String: Any]] {
        logs.lines.compactMap { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                object["msg"] as? String == "authentication failed"
            else { return nil }
            return object
        }
    }

    @Test func wrongAndMissingKeysAreWarningsWithoutTheKey() async throws {
        let h = try Harness()
        // Close to a real key, so a log of any part of it would show.
        let wrong = TestKeys.decide + "x"
        try await h.app.test(.live) { client in
            do { let actual = try await client.send(.post, "/v1/decisions", key: wrong, body: "{}").status; #expect(actual == .unauthorized) }
            do { let actual = try await client.send(.put, "/v1/accounts/u-1", body: "{}").status; #expect(actual == .unauthorized) }
            do { let actual = try await client.send(.get, "/v1/policy", headers: [.authorization: "Basic \(wrong)"]).status; #expect(actual == .unauthorized) }
        }
        let lines = Self.failures(h.logs)
        #expect(lines.count == 3, "\(h.logs.text)")
        #expect(lines.map { $0["auth.reason"] as? String } == ["unknown_key", "missing_key", "malformed_header"])
        for line in lines {
            #expect(line["level"] as? String == "warning")
            #expect(line["client.address"] as? String == "127.0.0.1")
            #expect(line["hb.request.id"] != nil)
        }
        #expect(lines.map { $0["http.route"] as? String } == ["/v1/decisions", "/v1/accounts/{user}", "/v1/policy"])
        let text = h.logs.text
        // Neither the key nor any 8-character piece of it.
        for start in stride(from: 0, through: wrong.count - 8, by: 1) {
            let piece = String(wrong.dropFirst(start).prefix(8))
            #expect(!text.contains(piece), "log holds `\(piece)` of the key")
        }
        // The path's user id stays out (only the route template is logged).
        #expect(!text.contains("u-1"))
    }

    @Test func successAndPublicEndpointsLogNoFailure() async throws {
        let h = try Harness()
        try await h.app.test(.router) { client in
            do { let actual = try await client.send(.get, "/healthz").status; #expect(actual == .ok) }
            do { let actual = try await client.send(.get, "/v1/policy", key: TestKeys.admin).status; #expect(actual == .ok) }
            do { let actual = try await client.send(.get, "/v1/policy", key: TestKeys.decide).status; #expect(actual == .forbidden) }
        }
        #expect(Self.failures(h.logs).isEmpty)
    }
}
