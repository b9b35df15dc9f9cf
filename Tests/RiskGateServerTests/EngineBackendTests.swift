import Foundation
import Hummingbird
import HummingbirdTesting
import RiskGate
import RiskGateServer
import Testing
import RiskGatePolicy

/// The HTTP layer over the real engine (``EngineBackend``), for what the test backend cannot show:
/// the engine's own answers to replays, steps out of order, unknown decisions and lockouts.
@Suite("HTTP service over the real engine")
struct EngineBackendTests {
    static let policy = """
        riskgate: 1
        policy: engine-http
        decide:
          - { id: step-up, when: channel == "chat", outcome: otp_kba_delay }
          - { id: default, outcome: passive }
        challenges:
          otp: { length: 6, ttl: 5m, max_attempts: 3, channels: [sms, email] }
          otp_kba_delay: { otp: { length: 6, ttl: 5m, max_attempts: 3 }, kba: { questions: 1 }, delay: 0s }
        lockout: { threshold: 3, window: 15m, duration: 30m, bans_after: 3 }

        """

    struct Setup: Sendable {
        let engine: DecisionEngine
        let app: Application<RouterResponder<ServerContext>>

        init(policy source: String = EngineBackendTests.policy, sourceLocation: SourceLocation = #_sourceLocation) throws {
            let compiled = PolicyCompiler.compile(source: source, file: "engine-http.yaml", baseDirectory: nil)
            let policy = try #require(compiled.policy, "\(compiled.diagnostics)", sourceLocation: sourceLocation)
            engine = try DecisionEngine(policy: policy, source: source, store: MemoryStateStore())
            app = try makeApplication(backend: EngineBackend(engine: engine, baseDirectory: nil), keys: try TestKeys.store())
        }

        /// The code of the OTP queued for `challenge`.
        func code(for challenge: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
            let message = try #require(try engine.store.outbox(limit: 100).first { $0.challenge == challenge && $0.kind == "otp" },
                                       sourceLocation: sourceLocation)
            let opened = try message.openedForDelivery(keyring: engine.store.secrets)
            let body = try JSONDecoder().decode([String: String].self, from: Data(opened.body.utf8))
            return try #require(body["code"], sourceLocation: sourceLocation)
        }
    }

    @Test func replayedAndOutOfOrderStepsAreConflictsThatNeverCount() async throws {
        let s = try Setup()
        try await s.app.test(.router) { client in
            let account = #"{"phone": "+4915112345678", "kba": [{"question": "first pet", "answer": "Rex the Dog"}]}"#
            #expect(try await client.send(.put, "/v1/accounts/u-1", key: TestKeys.admin, body: account).status == .ok)
            let decided = try await client.send(.post, "/v1/decisions", key: TestKeys.decide, body: #"{"user": "u-1", "channel": "chat"}"#)
            #expect(decided.json["outcome"] as? String == "otp_kba_delay", "\(decided.text)")
            let id = try #require((decided.json["challenge"] as? [String: Any])?["id"] as? String)
            let path = "/v1/challenges/\(id)/verify"
            let code = try s.code(for: id)

            let early = try await client.send(.post, path, key: TestKeys.verify, body: #"{"step": "kba", "response": "Rex the Dog"}"#)
            expectError(early, .conflict, code: "conflict")

            let otp = try await client.send(.post, path, key: TestKeys.verify, body: #"{"step": "otp", "response": "\#(code)"}"#)
            #expect(otp.json["result"] as? String == "passed", "\(otp.text)")
            #expect(otp.json["next_step"] as? String == "kba")
            #expect(otp.json["outcome"] == nil)

            let audit = try s.engine.store.auditEntries().count
            for _ in 0..<15 {
                let replay = try await client.send(.post, path, key: TestKeys.verify, body: #"{"step": "otp", "response": "\#(code)"}"#)
                expectError(replay, .conflict, code: "conflict")
            }
            let user = try #require(try s.engine.store.loadUser("u-1"))
            #expect(user.failures.isEmpty && user.lockedUntil == nil && user.lockouts == 0 && !user.banned)
            #expect(try s.engine.store.auditEntries().count == audit, "a refused replay writes nothing")

            let kba = try await client.send(.post, path, key: TestKeys.verify, body: #"{"step": "kba", "response": "rex the dog"}"#)
            #expect(kba.json["result"] as? String == "passed", "\(kba.text)")
            #expect(kba.json["outcome"] as? String == "passive", "the challenge is over: its outcome is included")
            let again = try await client.send(.post, path, key: TestKeys.verify, body: #"{"step": "kba", "response": "rex the dog"}"#)
            expectError(again, .conflict, code: "conflict")

            let metrics = try await client.send(.get, "/metrics", key: TestKeys.metrics)
            #expect(metrics.text.contains("riskgate_lockouts_total 0"), "\(metrics.text)")
        }
    }

    @Test func aDelayStepNeedsNoResponse() async throws {
        let s = try Setup(policy: Self.policy.replacingOccurrences(of: "delay: 0s", with: "delay: 30s"))
        try await s.app.test(.router) { client in
            let account = #"{"phone": "+4915112345678", "kba": [{"question": "first pet", "answer": "Rex"}]}"#
            #expect(try await client.send(.put, "/v1/accounts/u-5", key: TestKeys.admin, body: account).status == .ok)
            let decided = try await client.send(.post, "/v1/decisions", key: TestKeys.decide, body: #"{"user": "u-5", "channel": "chat"}"#)
            let challenge = try #require(decided.json["challenge"] as? [String: Any], "\(decided.text)")
            #expect(challenge["steps"] as? [String] == ["otp", "kba", "delay"])
            let id = try #require(challenge["id"] as? String)
            let path = "/v1/challenges/\(id)/verify"
            let code = try s.code(for: id)
            _ = try await client.send(.post, path, key: TestKeys.verify, body: #"{"step": "otp", "response": "\#(code)"}"#)
            let kba = try await client.send(.post, path, key: TestKeys.verify, body: #"{"step": "kba", "response": "rex"}"#)
            #expect(kba.json["next_step"] as? String == "delay", "\(kba.text)")

            // The wait is all a delay step asks for: no response, or an empty one, is an answer.
            for body in [#"{"step": "delay"}"#, #"{"step": "delay", "response": ""}"#] {
                let early = try await client.send(.post, path, key: TestKeys.verify, body: body)
                #expect(early.status == .ok, "\(body): \(early.text)")
                #expect(early.json["result"] as? String == "too_early", "\(early.text)")
                #expect(early.json["next_step"] as? String == "delay")
            }
            // Other steps still need one.
            let otp = try await client.send(.post, path, key: TestKeys.verify, body: #"{"step": "otp"}"#)
            expectError(otp, .badRequest, code: "missing_field", field: "response")
        }
    }

    @Test func aShadowDecisionIsLoggedAsItWouldHaveBeenCarriedOut() async throws {
        let s = try Setup()
        let shadow = Self.policy.replacingOccurrences(of: "policy: engine-http", with: "policy: engine-shadow")
            .replacingOccurrences(of: "{ id: default, outcome: passive }", with: "{ id: default, outcome: otp }")
        try await s.app.test(.router) { client in
            let put = try await client.send(.put, "/v1/policy/shadow", key: TestKeys.admin, body: shadow)
            #expect(put.status == .ok, "\(put.text)")
            let before = try s.engine.store.outbox(limit: 100).count
            // u-6 has no profile: no phone or email to send the shadow's OTP to.
            let decided = try await client.send(.post, "/v1/decisions", key: TestKeys.decide, body: #"{"user": "u-6"}"#)
            #expect(decided.json["outcome"] as? String == "passive", "\(decided.text)")
            let id = try #require(decided.json["id"] as? String)
            let record = try #require(try s.engine.store.auditEntries().first { $0.kind == "shadow" && $0.reference == id })
            #expect(record.outcome == "agent_escalation", "an OTP that cannot be sent goes to `on_failure`, as it would have")
            #expect(try s.engine.store.outbox(limit: 100).count == before, "a shadow sends nothing and hands nothing off")
        }
    }

    @Test func feedbackForAnUnknownDecisionIsNotFoundAndWritesNothing() async throws {
        let s = try Setup()
        try await s.app.test(.router) { client in
            let decided = try await client.send(.post, "/v1/decisions", key: TestKeys.decide, body: #"{"user": "u-2"}"#)
            let id = try #require(decided.json["id"] as? String)
            let before = try s.engine.store.auditEntries().count
            let unknown = try await client.send(.post, "/v1/feedback", key: TestKeys.decide, body: #"{"decision": "dec-nope", "label": "legit"}"#)
            expectError(unknown, .notFound, code: "not_found")
            #expect(try s.engine.store.auditEntries().count == before)

            let known = try await client.send(.post, "/v1/feedback", key: TestKeys.decide, body: #"{"decision": "\#(id)", "label": "fraud"}"#)
            #expect(known.status == .ok, "\(known.text)")
            let record = try #require(try s.engine.store.auditEntries().last)
            #expect(record.kind == "feedback" && record.reference == id && record.result == "fraud")
            #expect(record.user == "u-2", "feedback is filed under the decision's user")
        }
    }

    @Test func lockoutsAreCountedWhenTheyHappen() async throws {
        let s = try Setup()
        try await s.app.test(.router) { client in
            // Failed passwords: the third locks the account.
            for _ in 0..<3 {
                _ = try await client.send(.post, "/v1/decisions", key: TestKeys.decide, body: #"{"user": "u-3", "result": "failure"}"#)
            }
            var metrics = try await client.send(.get, "/metrics", key: TestKeys.metrics)
            #expect(metrics.text.contains("riskgate_lockouts_total 1"), "\(metrics.text)")

            // Wrong codes: the third locks the account; retries of the dead challenge are not lockouts.
            _ = try await client.send(.put, "/v1/accounts/u-4", key: TestKeys.admin,
                                      body: #"{"phone": "+4915112345678", "kba": [{"question": "q", "answer": "a"}]}"#)
            let decided = try await client.send(.post, "/v1/decisions", key: TestKeys.decide, body: #"{"user": "u-4", "channel": "chat"}"#)
            let id = try #require((decided.json["challenge"] as? [String: Any])?["id"] as? String)
            let wrong = try s.code(for: id) == "000000" ? "111111" : "000000"
            var results: [String] = []
            for _ in 0..<5 {
                let reply = try await client.send(.post, "/v1/challenges/\(id)/verify", key: TestKeys.verify,
                                                  body: #"{"step": "otp", "response": "\#(wrong)"}"#)
                results.append(reply.json["result"] as? String ?? reply.text)
            }
            #expect(results == ["failed", "failed", "locked", "locked", "locked"])
            metrics = try await client.send(.get, "/metrics", key: TestKeys.metrics)
            #expect(metrics.text.contains("riskgate_lockouts_total 2"), "\(metrics.text)")
        }
    }
}
