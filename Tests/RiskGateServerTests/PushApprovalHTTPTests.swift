import Foundation
import Hummingbird
import HummingbirdTesting
import RiskGate
import RiskGateServer
import Testing

/// Push approvals over HTTP with the app's side done as docs/push.md shows it: the key made and
/// each answer signed by the `openssl` command line, registered with `PUT /v1/accounts`.
@Suite("push approvals over HTTP", .enabled(if: TLSTests.openssl != nil, "needs the openssl command line"))
struct PushApprovalHTTPTests {
    static let policy = """
        riskgate: 1
        policy: push-http
        decide:
          - { id: helpdesk, when: channel == "voice", outcome: otp }
          - { id: default, outcome: passive }
        challenges:
          otp: { push: { ttl: 2m }, channels: [sms], max_attempts: 3 }
          fallbacks:
            - { when: not account.has_push_device, replace: push, with: sms }
        lockout: { threshold: 3, window: 15m, duration: 30m, bans_after: 3 }

        """

    /// A device key pair made by `openssl genpkey`, in its own folder.
    struct Phone {
        let folder: URL
        var privateKey: String { folder.appendingPathComponent("phone.pem").path }

        static func make() async throws -> Phone {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("riskgate-push-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let phone = Phone(folder: folder)
            let openssl = try #require(TLSTests.openssl)
            let made = try await ExternalProcess.run(openssl, ["genpkey", "-algorithm", "ed25519", "-out", phone.privateKey])
            #expect(made.status == 0, "\(made.stderr)")
            return phone
        }

        func publicKeyPEM() async throws -> String {
            let out = try await ExternalProcess.run(try #require(TLSTests.openssl), ["pkey", "-in", privateKey, "-pubout"])
            #expect(out.status == 0, "\(out.stderr)")
            return out.stdout
        }

        /// `printf 'riskgate-push-v1\n%s\n%s\n%s\n%s' ... | openssl pkeyutl -sign -rawin`, base64.
        func sign(challenge: String, nonce: String, response: String, number: Int?) async throws -> String {
            let file = folder.appendingPathComponent("answer.txt")
            try Data("riskgate-push-v1\n\(challenge)\n\(nonce)\n\(response)\n\(number.map(String.init) ?? "")".utf8).write(to: file)
            let signed = folder.appendingPathComponent("answer.sig").path
            let out = try await ExternalProcess.run(try #require(TLSTests.openssl),
                                                    ["pkeyutl", "-sign", "-inkey", privateKey, "-rawin", "-in", file.path, "-out", signed])
            #expect(out.status == 0, "\(out.stderr)")
            return try Data(contentsOf: URL(fileURLWithPath: signed)).base64EncodedString()
        }

        func remove() { try? FileManager.default.removeItem(at: folder) }
    }

    @Test func anApprovalSignedByOpenSSLPassesAndAWrongNumberCounts() async throws {
        let s = try EngineBackendTests.Setup(policy: Self.policy)
        let phone = try await Phone.make()
        defer { phone.remove() }
        let pem = try await phone.publicKeyPEM()
        try await s.app.test(.router) { client in
            let body = try String(decoding: JSONSerialization.data(withJSONObject: [
                "phone": "+4915112345678", "push_key": pem, "push_device_id": "phone-1"]), as: UTF8.self)
            let put = try await client.send(.put, "/v1/accounts/u-1", key: TestKeys.admin, body: body)
            #expect(put.status == .ok, "\(put.text)")

            // The helpdesk call: the login screen (the agent's console) gets the number.
            let decided = try await client.send(.post, "/v1/decisions", key: TestKeys.decide, body: #"{"user": "u-1", "channel": "voice"}"#)
            let challenge = try #require(decided.json["challenge"] as? [String: Any], "\(decided.text)")
            #expect(challenge["steps"] as? [String] == ["push"])
            let push = try #require(challenge["push"] as? [String: Any])
            let number = try #require(push["number"] as? Int)
            #expect(push["device"] as? String == "phone-1")
            let id = try #require(challenge["id"] as? String)

            // The phone gets the push message from the outbox.
            let outbox = try #require(try s.engine.store.outbox(limit: 10).first { $0.kind == "push" && $0.challenge == id })
            #expect(outbox.destination == "phone-1")
            let message = try #require(try JSONSerialization.jsonObject(with: Data(outbox.body.utf8)) as? [String: Any])
            let nonce = try #require(message["nonce"] as? String)
            let choices = try #require(message["choices"] as? [Int])
            #expect(message["request_channel"] as? String == "voice" && choices.contains(number))
            let path = "/v1/challenges/\(id)/verify"

            let wrongNumber = try #require(choices.first { $0 != number })
            let wrongSignature = try await phone.sign(challenge: id, nonce: nonce, response: "approve", number: wrongNumber)
            let wrong = try await client.send(.post, path, key: TestKeys.verify,
                                              body: #"{"step": "push", "response": "approve", "number": \#(wrongNumber), "signature": "\#(wrongSignature)"}"#)
            #expect(wrong.json["result"] as? String == "failed" && wrong.json["attempts_remaining"] as? Int == 2, "\(wrong.text)")
            #expect(try s.engine.store.loadUser("u-1")?.failures.count == 1)

            let signature = try await phone.sign(challenge: id, nonce: nonce, response: "approve", number: number)
            let approve = #"{"step": "push", "response": "approve", "number": \#(number), "signature": "\#(signature)"}"#
            let passed = try await client.send(.post, path, key: TestKeys.verify, body: approve)
            #expect(passed.json["result"] as? String == "passed" && passed.json["outcome"] as? String == "passive", "\(passed.text)")
            let replay = try await client.send(.post, path, key: TestKeys.verify, body: approve)
            #expect(replay.status == .ok && replay.json["result"] as? String == "failed", "\(replay.text)")
            #expect(try s.engine.store.loadUser("u-1")?.failures.count == 1, "the pass cleared the failures; the replay counts again")
        }
    }

    @Test func aDenyWithAFraudReportIsLabelledAndNoDeviceFallsBackToSMS() async throws {
        let s = try EngineBackendTests.Setup(policy: Self.policy)
        let phone = try await Phone.make()
        defer { phone.remove() }
        let pem = try await phone.publicKeyPEM()
        try await s.app.test(.router) { client in
            // No app yet: the fallback sends a code by SMS.
            #expect(try await client.send(.put, "/v1/accounts/u-1", key: TestKeys.admin, body: #"{"phone": "+4915112345678"}"#).status == .ok)
            let sms = try await client.send(.post, "/v1/decisions", key: TestKeys.decide, body: #"{"user": "u-1", "channel": "voice"}"#)
            let smsChallenge = try #require(sms.json["challenge"] as? [String: Any], "\(sms.text)")
            #expect(smsChallenge["steps"] as? [String] == ["otp"])
            #expect((smsChallenge["otp"] as? [String: Any])?["channel"] as? String == "sms")

            let body = try String(decoding: JSONSerialization.data(withJSONObject: ["push_key": pem]), as: UTF8.self)
            #expect(try await client.send(.put, "/v1/accounts/u-1", key: TestKeys.admin, body: body).status == .ok)
            let decided = try await client.send(.post, "/v1/decisions", key: TestKeys.decide, body: #"{"user": "u-1", "channel": "voice"}"#)
            let decisionID = try #require(decided.json["id"] as? String)
            let challenge = try #require(decided.json["challenge"] as? [String: Any], "\(decided.text)")
            let id = try #require(challenge["id"] as? String)
            let outbox = try #require(try s.engine.store.outbox(limit: 10).first { $0.kind == "push" && $0.challenge == id })
            let message = try #require(try JSONSerialization.jsonObject(with: Data(outbox.body.utf8)) as? [String: Any])
            let nonce = try #require(message["nonce"] as? String)

            // Not the user calling: deny, and report it.
            let signature = try await phone.sign(challenge: id, nonce: nonce, response: "deny", number: nil)
            let denied = try await client.send(.post, "/v1/challenges/\(id)/verify", key: TestKeys.verify,
                                               body: #"{"step": "push", "response": "deny", "signature": "\#(signature)", "report_fraud": true}"#)
            #expect(denied.json["result"] as? String == "failed" && denied.json["outcome"] as? String == "deny", "\(denied.text)")
            let labels = try s.engine.store.auditEntries().filter { $0.kind == "feedback" }
            #expect(labels.map(\.result) == ["fraud"] && labels.first?.reference == decisionID)
            #expect(try s.engine.store.loadUser("u-1")?.failures.count == 1)
        }
    }

    @Test func malformedPushBodiesAreRefused() async throws {
        let s = try EngineBackendTests.Setup(policy: Self.policy)
        try await s.app.test(.router) { client in
            let path = "/v1/challenges/ch-0123456789abcdef/verify"
            for (body, field) in [
                (#"{"step": "push", "response": "approve"}"#, "signature"),
                (#"{"step": "push", "response": "yes", "signature": "AAAA"}"#, "response"),
                (#"{"step": "push", "response": "approve", "signature": "AAAA"}"#, "signature"),
                (#"{"step": "otp", "response": "123456", "number": 12}"#, "number"),
                (#"{"step": "push", "response": "approve", "report_fraud": true, "signature": "\#(String(repeating: "A", count: 86))=="}"#, "report_fraud"),
            ] {
                let response = try await client.send(.post, path, key: TestKeys.verify, body: body)
                #expect(response.status == .badRequest, "\(body)")
                #expect((response.json["error"] as? [String: Any])?["field"] as? String == field, "\(body): \(response.text)")
            }
            let badKey = try await client.send(.put, "/v1/accounts/u-1", key: TestKeys.admin, body: #"{"push_key": "bm90IGEga2V5"}"#)
            #expect(badKey.status == .badRequest)
            #expect((badKey.json["error"] as? [String: Any])?["field"] as? String == "push_key", "\(badKey.text)")
        }
    }
}
