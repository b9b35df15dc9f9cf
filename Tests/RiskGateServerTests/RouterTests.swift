import Foundation
import HTTPTypes
import HummingbirdTesting
import RiskGateServer
import Testing
import RiskGatePolicy

@Suite("HTTP service, in process")
struct RouterTests {
    static let login = #"{"id": "evt-81", "user": "u-42", "channel": "chat", "action": "login", "ip": "203.0.113.7", "geo": {"country": "DE", "lat": 52.52, "lon": 13.40, "accuracy_km": 20}, "device": {"id": "d-9f2", "user_agent": "Mozilla/5.0", "emulator": false, "rooted": false}, "typing": {"field": "password", "keys": [{"down": 0, "up": 95}, {"down": 180, "up": 260}]}, "phone": {"ani": "+4915112345678"}, "result": "success"}"#

    @Test func healthNeedsNoKey() async throws {
        let h = try Harness()
        try await h.app.test(.router) { client in
            let response = try await client.send(.get, "/healthz")
            #expect(response.status == .ok)
            #expect(response.json["status"] as? String == "ok")
            #expect(response.headers[HTTPField.Name("X-Request-Id")!] != nil)
        }
    }

    @Test func decisionRoundTrip() async throws {
        let h = try Harness()
        try await h.app.test(.router) { client in
            let response = try await client.send(.post, "/v1/decisions", key: TestKeys.decide, body: Self.login)
            #expect(response.status == .ok, "\(response.text)")
            let decision = try JSONDecoder().decode(Decision.self, from: Data(response.text.utf8))
            #expect(decision.outcome == .passive)
            #expect(decision.policy.name == "helpdesk-chat")
            #expect(decision.explanation == nil)
            let stored = await h.backend.decisions[decision.id]
            #expect(stored == decision)
        }
    }

    @Test func explainFlagReachesBackend() async throws {
        let h = try Harness()
        try await h.app.test(.router) { client in
            let yes = try await client.send(.post, "/v1/decisions?explain=true", key: TestKeys.decide, body: #"{"user": "u-1"}"#)
            #expect(yes.status == .ok)
            #expect(yes.json["explanation"] != nil)
            let bad = try await client.send(.post, "/v1/decisions?explain=maybe", key: TestKeys.decide, body: #"{"user": "u-1"}"#)
            expectError(bad, .badRequest, code: "invalid_field", field: "explain")
        }
    }

    @Test func authentication() async throws {
        let h = try Harness()
        try await h.app.test(.router) { client in
            let none = try await client.send(.post, "/v1/decisions", body: #"{"user": "u"}"#)
            expectError(none, .unauthorized, code: "unauthorized")
            #expect(none.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
            let unknown = try await client.send(.post, "/v1/decisions", key: "test-decide-key-0009", body: #"{"user": "u"}"#)
            expectError(unknown, .unauthorized, code: "unauthorized")
            let prefix = try await client.send(.post, "/v1/decisions", key: "test-decide-key-000", body: #"{"user": "u"}"#)
            expectError(prefix, .unauthorized, code: "unauthorized")
            let basic = try await client.send(.post, "/v1/decisions", body: #"{"user": "u"}"#,
                                              headers: [.authorization: "Basic \(TestKeys.decide)"])
            expectError(basic, .unauthorized, code: "unauthorized")
            let wrongScope = try await client.send(.post, "/v1/decisions", key: TestKeys.verify, body: #"{"user": "u"}"#)
            expectError(wrongScope, .forbidden, code: "forbidden")
            let adminCannotDecide = try await client.send(.post, "/v1/decisions", key: TestKeys.admin, body: #"{"user": "u"}"#)
            expectError(adminCannotDecide, .forbidden, code: "forbidden")
            let lowercaseScheme = try await client.send(.post, "/v1/decisions", body: #"{"user": "u"}"#,
                                                        headers: [.authorization: "bearer \(TestKeys.decide)"])
            #expect(lowercaseScheme.status == .ok)
            for (method, path) in [(HTTPRequest.Method.get, "/v1/policy"), (.put, "/v1/accounts/u-1"), (.put, "/v1/policy/shadow")] {
                let response = try await client.send(method, path, key: TestKeys.decide, body: "{}")
                expectError(response, .forbidden, code: "forbidden")
            }
        }
        #expect(await h.backend.decisions.count == 1)
    }

    static let badDecisions: [(body: String, code: String, field: String?)] = [
        ("{", "malformed_json", nil),
        ("not json", "malformed_json", nil),
        ("", "malformed_json", nil),
        ("[1, 2]", "invalid_body", nil),
        (#"{"user": 42}"#, "invalid_field", "user"),
        (#"{"channel": "web"}"#, "missing_field", "user"),
        (#"{"user": null}"#, "invalid_field", "user"),
        (#"{"user": "u", "geo": {"lat": "north"}}"#, "invalid_field", "geo.lat"),
        (#"{"user": "u", "geo": {"lat": 91}}"#, "invalid_field", "geo.lat"),
        (#"{"user": "u", "geo": "DE"}"#, "invalid_field", "geo"),
        (#"{"user": "u", "geo": {"country": "DE", "altitude": 3}}"#, "unknown_field", "geo.altitude"),
        (#"{"user": "u", "chanel": "web"}"#, "unknown_field", "chanel"),
        // A key with a line break (log forging) is named with the break escaped, on one line.
        (#"{"user": "u", "a\nlevel=error b": 1}"#, "unknown_field", #"a\u{A}level=error b"#),
        // Users in another form are one account; ids with spaces or invisible characters are refused.
        (#"{"user": "u 1"}"#, "invalid_field", "user"),
        (#"{"user": "u\u200b1"}"#, "invalid_field", "user"),
        // docs/signals.md's channels only: another value would match no `channel == ...` rule.
        (#"{"user": "u", "channel": "fax"}"#, "invalid_field", "channel"),
        (#"{"user": "u", "channel": "Web"}"#, "invalid_field", "channel"),
        (#"{"user": "u", "typing": {"field": "password", "keys": [{"down": 0, "up": 9}, {"down": 5, "up": "x"}]}}"#,
         "invalid_field", "typing.keys[1].up"),
        (#"{"user": "u", "typing": {"field": "password", "keys": [{"down": 0, "up": 9, "key": "a"}]}}"#,
         "unknown_field", "typing.keys[0].key"),
        (#"{"user": "u", "typing": {"field": "password", "keys": [{"down": 10, "up": 9}]}}"#, "invalid_field", "typing.keys[0]"),
        (#"{"user": "u", "time": "yesterday"}"#, "invalid_field", "time"),
        (#"{"user": "u", "result": "maybe"}"#, "invalid_field", "result"),
        (#"{"user": "u", "ip": "203.0.113.7, 10.0.0.1"}"#, "invalid_field", "ip"),
        (#"{"user": "u", "ip": "fe80::1%eth0"}"#, "invalid_field", "ip"),
        (#"{"user": "u", "device": {"emulator": "no"}}"#, "invalid_field", "device.emulator"),
        (#"{"user": ""}"#, "invalid_field", "user"),
        (#"{"user": "fi\u0000rst", "user": "second"}"#, "invalid_field", "user"),
        ("{\"user\": \"u\", \"signals\": " + String(repeating: "[", count: 40) + String(repeating: "]", count: 40) + "}",
         "malformed_json", nil),
        (String(repeating: "[", count: 100_000), "malformed_json", nil),
    ]

    @Test(arguments: badDecisions)
    func badDecisionInput(_ bad: (body: String, code: String, field: String?)) async throws {
        let h = try Harness()
        try await h.app.test(.router) { client in
            let response = try await client.send(.post, "/v1/decisions", key: TestKeys.decide, body: bad.body)
            let status: HTTPResponse.Status = bad.body.utf8.count > 64 * 1024 ? .contentTooLarge : .badRequest
            if status == .badRequest {
                expectError(response, .badRequest, code: bad.code, field: bad.field)
            } else {
                expectError(response, .contentTooLarge, code: "body_too_large")
            }
        }
        #expect(await h.backend.decisions.isEmpty, "nothing may be written for bad input")
    }

    @Test func bodyLimit() async throws {
        let h = try Harness()
        try await h.app.test(.router) { client in
            let padding = String(repeating: "a", count: 64 * 1024)
            let big = #"{"user": "u", "id": "\#(padding)"}"#
            let response = try await client.send(.post, "/v1/decisions", key: TestKeys.decide, body: big)
            expectError(response, .contentTooLarge, code: "body_too_large")
            #expect(response.headers[.connection] == "close")
            let justUnder = #"{"user": "u", "id": "\#(String(repeating: "a", count: 60 * 1024))"}"#
            let ok = try await client.send(.post, "/v1/decisions", key: TestKeys.decide, body: justUnder)
            #expect(ok.status == .ok)
        }
        #expect(await h.backend.decisions.count == 1)
    }

    @Test func challengeFlow() async throws {
        let h = try Harness()
        try await h.app.test(.router) { client in
            _ = try await client.send(.put, "/v1/accounts/u-7", key: TestKeys.admin, body: #"{"home_country": "DE"}"#)
            let risky = #"{"user": "u-7", "geo": {"country": "FR"}, "result": "failure"}"#
            let decided = try await client.send(.post, "/v1/decisions", key: TestKeys.decide, body: risky)
            #expect(decided.json["outcome"] as? String == "otp_kba_delay")
            let challenge = try #require((decided.json["challenge"] as? [String: Any])?["id"] as? String)
            let path = "/v1/challenges/\(challenge)/verify"

            let wrong = try await client.send(.post, path, key: TestKeys.verify, body: #"{"step": "otp", "response": "000000"}"#)
            #expect(wrong.status == .ok)
            #expect(wrong.json["result"] as? String == "failed")
            #expect(wrong.json["attempts_remaining"] as? Int == 2)

            let outOfOrder = try await client.send(.post, path, key: TestKeys.verify, body: #"{"step": "kba", "response": "blue"}"#)
            expectError(outOfOrder, .conflict, code: "conflict")

            let right = try await client.send(.post, path, key: TestKeys.verify, body: #"{"step": "otp", "response": "123456"}"#)
            #expect(right.json["result"] as? String == "passed")
            #expect(right.json["next_step"] as? String == "kba")

            let kba = try await client.send(.post, path, key: TestKeys.verify, body: #"{"step": "kba", "response": "blue"}"#)
            #expect(kba.json["result"] as? String == "passed")
            #expect(kba.json["outcome"] as? String == "passive")

            let unknown = try await client.send(.post, "/v1/challenges/ch-999/verify", key: TestKeys.verify,
                                                body: #"{"step": "otp", "response": "1"}"#)
            expectError(unknown, .notFound, code: "not_found")
            let missing = try await client.send(.post, path, key: TestKeys.verify, body: #"{"step": "otp"}"#)
            expectError(missing, .badRequest, code: "missing_field", field: "response")
            let extra = try await client.send(.post, path, key: TestKeys.verify, body: #"{"step": "otp", "response": "1", "x": 1}"#)
            expectError(extra, .badRequest, code: "unknown_field", field: "x")
            let decideKey = try await client.send(.post, path, key: TestKeys.decide, body: #"{"step": "otp", "response": "1"}"#)
            expectError(decideKey, .forbidden, code: "forbidden")
        }
        // The code must never reach the logs.
        #expect(!h.logs.text.contains("123456"))
        #expect(!h.logs.text.contains("000000"))
    }

    @Test func lockoutIsCounted() async throws {
        let h = try Harness()
        try await h.app.test(.router) { client in
            let decided = try await client.send(.post, "/v1/decisions", key: TestKeys.decide, body: #"{"user": "u-8", "result": "failure"}"#)
            let challenge = try #require((decided.json["challenge"] as? [String: Any])?["id"] as? String)
            var results: [String] = []
            for _ in 0..<4 {
                let r = try await client.send(.post, "/v1/challenges/\(challenge)/verify", key: TestKeys.verify,
                                              body: #"{"step": "otp", "response": "999999"}"#)
                results.append(r.json["result"] as? String ?? "?")
            }
            #expect(results == ["failed", "failed", "locked", "locked"])
            let after = try await client.send(.post, "/v1/decisions", key: TestKeys.decide, body: #"{"user": "u-8"}"#)
            #expect(after.json["outcome"] as? String == "deny")
            let metrics = try await client.send(.get, "/metrics", key: TestKeys.metrics)
            // One lockout: the third wrong code locked the account; the fourth reply found it locked.
            #expect(metrics.text.contains(#"riskgate_lockouts_total 1"#), "\(metrics.text)")
            #expect(metrics.text.contains(#"riskgate_challenge_results_total{result="failed"} 2"#))
            #expect(metrics.text.contains(#"riskgate_challenge_results_total{result="locked"} 2"#))
        }
    }

    @Test func failedPasswordsThatLockAreCountedAsALockout() async throws {
        let h = try Harness()
        try await h.app.test(.router) { client in
            for _ in 0..<5 {
                let decided = try await client.send(.post, "/v1/decisions", key: TestKeys.decide,
                                                    body: #"{"user": "u-10", "device": {"id": "d"}, "result": "failure"}"#)
                #expect(decided.status == .ok)
                #expect(decided.json["locked_account"] == nil, "internal flag must not reach clients")
            }
            let metrics = try await client.send(.get, "/metrics", key: TestKeys.metrics)
            #expect(metrics.text.contains(#"riskgate_lockouts_total 1"#), "\(metrics.text)")
        }
    }

    @Test func nullBodyIsNotAnObject() async throws {
        let h = try Harness()
        try await h.app.test(.router) { client in
            let requests: [(HTTPRequest.Method, String, String)] = [
                (.post, "/v1/decisions", TestKeys.decide), (.post, "/v1/feedback", TestKeys.decide),
                (.post, "/v1/challenges/ch-1/verify", TestKeys.verify), (.put, "/v1/accounts/u-1", TestKeys.admin),
            ]
            for (method, path, key) in requests {
                for body in ["null", " null ", "true", "\"x\"", "1"] {
                    let response = try await client.send(method, path, key: key, body: body)
                    expectError(response, .badRequest, code: "invalid_body")
                    #expect(response.errorField == nil, "\(path) \(body): \(response.text)")
                }
            }
        }
        #expect(await h.backend.decisions.isEmpty)
    }

    @Test func feedback() async throws {
        let h = try Harness()
        try await h.app.test(.router) { client in
            let decided = try await client.send(.post, "/v1/decisions", key: TestKeys.decide, body: #"{"user": "u-1"}"#)
            let id = try #require(decided.json["id"] as? String)
            let ok = try await client.send(.post, "/v1/feedback", key: TestKeys.decide, body: #"{"decision": "\#(id)", "label": "fraud"}"#)
            #expect(ok.status == .ok)
            #expect(ok.json["label"] as? String == "fraud")
            let unknown = try await client.send(.post, "/v1/feedback", key: TestKeys.decide, body: #"{"decision": "dec-404", "label": "legit"}"#)
            expectError(unknown, .notFound, code: "not_found")
            let badLabel = try await client.send(.post, "/v1/feedback", key: TestKeys.decide, body: #"{"decision": "\#(id)", "label": "spam"}"#)
            expectError(badLabel, .badRequest, code: "invalid_field", field: "label")
            let verifyKey = try await client.send(.post, "/v1/feedback", key: TestKeys.verify, body: #"{"decision": "\#(id)", "label": "legit"}"#)
            expectError(verifyKey, .forbidden, code: "forbidden")
        }
        #expect(await h.backend.feedbackLabels == ["dec-1": .fraud])
    }

    @Test func accounts() async throws {
        let h = try Harness()
        let body = #"{"home_country": "DE", "phone": "+4915112345678", "email": "ana@example.com", "kba": [{"question": "first pet", "answer": "Whiskers the Cat"}], "secret": "correct horse", "trusted_devices": ["d-9f2"]}"#
        try await h.app.test(.router) { client in
            let ok = try await client.send(.put, "/v1/accounts/u%2D42", key: TestKeys.admin, body: body)
            #expect(ok.status == .ok, "\(ok.text)")
            #expect(ok.json["user"] as? String == "u-42")
            #expect(ok.json["updated"] as? [String] == ["home_country", "phone", "email", "kba", "secret", "trusted_devices"])
            #expect(!ok.text.contains("Whiskers"))
            let bad: [(String, String, String)] = [
                (#"{"home_country": "Germany"}"#, "invalid_field", "home_country"),
                (#"{"phone": "0151 123"}"#, "invalid_field", "phone"),
                (#"{"email": "nope"}"#, "invalid_field", "email"),
                (#"{"kba": [{"question": "q", "answer": ""}]}"#, "invalid_field", "kba[0].answer"),
                (#"{"kba": [{"question": "q", "answer": "a", "hint": "h"}]}"#, "unknown_field", "kba[0].hint"),
                (#"{"kba": [{"question": "q"}]}"#, "missing_field", "kba[0].answer"),
                (#"{"trusted_devices": "d-1"}"#, "invalid_field", "trusted_devices"),
                (#"{"password": "x"}"#, "unknown_field", "password"),
            ]
            for (text, code, field) in bad {
                let response = try await client.send(.put, "/v1/accounts/u-43", key: TestKeys.admin, body: text)
                expectError(response, .badRequest, code: code, field: field)
            }
            let control = try await client.send(.put, "/v1/accounts/u%0A1", key: TestKeys.admin, body: "{}")
            expectError(control, .badRequest, code: "invalid_field", field: "user")
        }
        let stored = await h.backend.accounts
        #expect(stored.keys.sorted() == ["u-42"], "rejected updates must write nothing")
        #expect(stored["u-42"]?.kba?.first?.answer == "Whiskers the Cat")
        #expect(!h.logs.text.contains("Whiskers"))
        #expect(!h.logs.text.contains("correct horse"))
        #expect(!h.logs.text.contains("+4915112345678"))
        #expect(!h.logs.text.contains("u-42"))
    }

    @Test func policyReplacement() async throws {
        let h = try Harness()
        try await h.app.test(.router) { client in
            let before = try await client.send(.get, "/v1/policy", key: TestKeys.admin)
            #expect(before.json["name"] as? String == "helpdesk-chat")
            let oldHash = try #require(before.json["hash"] as? String)

            let broken = "riskgate: 2\npolicy: Bad_Name\ndecide:\n  - { id: x, outcome: maybe }\n"
            let rejected = try await client.send(.put, "/v1/policy", key: TestKeys.admin, body: broken,
                                                 headers: [.contentType: "application/yaml"])
            expectError(rejected, .unprocessableContent, code: "policy_rejected")
            #expect(rejected.json["accepted"] as? Bool == false)
            let diagnostics = try #require(rejected.json["diagnostics"] as? [[String: Any]])
            #expect(diagnostics.map { $0["code"] as? String } == ["RG1002", "RG1003", "RG1310"])
            #expect(diagnostics.last?["line"] as? Int == 4)
            let unchanged = try await client.send(.get, "/v1/policy", key: TestKeys.admin)
            #expect(unchanged.json["hash"] as? String == oldHash)

            let good = "riskgate: 1\npolicy: strict-chat\ndecide:\n  - { id: default, outcome: otp }\n"
            let accepted = try await client.send(.put, "/v1/policy", key: TestKeys.admin, body: good)
            #expect(accepted.status == .ok, "\(accepted.text)")
            #expect((accepted.json["policy"] as? [String: Any])?["name"] as? String == "strict-chat")
            let decision = try await client.send(.post, "/v1/decisions", key: TestKeys.decide, body: #"{"user": "u"}"#)
            #expect((decision.json["policy"] as? [String: Any])?["name"] as? String == "strict-chat")
            let after = try await client.send(.get, "/v1/policy", key: TestKeys.admin)
            #expect(after.json["source"] as? String == good)

            let noShadow = try await client.send(.get, "/v1/policy/shadow", key: TestKeys.admin)
            expectError(noShadow, .notFound, code: "not_found")
            let shadow = try await client.send(.put, "/v1/policy/shadow", key: TestKeys.admin,
                                               body: "riskgate: 1\npolicy: candidate\n")
            #expect(shadow.status == .ok)
            let shadowGet = try await client.send(.get, "/v1/policy/shadow", key: TestKeys.admin)
            #expect(shadowGet.json["name"] as? String == "candidate")

            let empty = try await client.send(.put, "/v1/policy", key: TestKeys.admin, body: "")
            expectError(empty, .badRequest, code: "empty_body")
            let notUTF8 = try await client.execute(uri: "/v1/policy", method: .put,
                                                   headers: [.authorization: "Bearer \(TestKeys.admin)"],
                                                   body: .init(bytes: [0x72, 0xFF, 0xFE, 0x0A]))
            expectError(notUTF8, .badRequest, code: "invalid_encoding")
            let metrics = try await client.send(.get, "/metrics", key: TestKeys.metrics)
            #expect(metrics.text.contains(#"riskgate_policy_changes_total{slot="active",result="rejected"} 1"#))
            #expect(metrics.text.contains(#"riskgate_policy_changes_total{slot="active",result="accepted"} 1"#))
        }
    }

    @Test func policyBodyMayExceedJSONLimit() async throws {
        let h = try Harness()
        try await h.app.test(.router) { client in
            let comment = String(repeating: "# padding\n", count: 20_000)  // 200 KB, under the 1 MiB policy limit
            let response = try await client.send(.put, "/v1/policy", key: TestKeys.admin,
                                                 body: "riskgate: 1\npolicy: padded\n" + comment)
            #expect(response.status == .ok)
            let huge = String(repeating: "#", count: (1 << 20) + 1)
            let tooBig = try await client.send(.put, "/v1/policy", key: TestKeys.admin, body: huge)
            expectError(tooBig, .contentTooLarge, code: "body_too_large")
        }
    }

    @Test func metricsExposition() async throws {
        let h = try Harness()
        try await h.app.test(.router) { client in
            for body in [#"{"user": "a", "device": {"id": "d"}}"#, #"{"user": "b", "device": {"id": "d"}}"#, #"{"user": "c", "result": "failure"}"#] {
                _ = try await client.send(.post, "/v1/decisions", key: TestKeys.decide, body: body)
            }
            let response = try await client.send(.get, "/metrics", key: TestKeys.metrics)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType]?.hasPrefix("text/plain") == true)
            let text = response.text
            #expect(text.contains(#"riskgate_decisions_total{outcome="passive"} 2"#), "\(text)")
            #expect(text.contains(#"riskgate_decisions_total{outcome="otp"} 1"#))
            #expect(text.contains(#"riskgate_decisions_total{outcome="deny"} 0"#))
            #expect(text.contains("riskgate_decision_duration_seconds_count 3"))
            #expect(text.contains(#"riskgate_decision_duration_seconds_bucket{le="+Inf"} 3"#))
            #expect(text.contains(#"riskgate_http_responses_total{status="200"} 3"#))
        }
    }

    @Test func separateAppsHaveSeparateMetrics() async throws {
        let first = try Harness()
        let second = try Harness()
        try await first.app.test(.router) { client in
            _ = try await client.send(.post, "/v1/decisions", key: TestKeys.decide, body: #"{"user": "a"}"#)
        }
        #expect(first.metrics.render().contains(#"riskgate_decisions_total{outcome="passive"} 1"#))
        #expect(second.metrics.render().contains(#"riskgate_decisions_total{outcome="passive"} 0"#))
    }

    @Test func unknownRoutesAndMethods() async throws {
        let h = try Harness()
        try await h.app.test(.router) { client in
            expectError(try await client.send(.get, "/v1/nothing", key: TestKeys.all), .notFound, code: "not_found")
            expectError(try await client.send(.get, "/../../etc/passwd"), .notFound, code: "not_found")
            expectError(try await client.send(.get, "/v1/decisions/extra", key: TestKeys.all), .notFound, code: "not_found")
            expectError(try await client.send(.get, "/v1/accounts", key: TestKeys.all), .notFound, code: "not_found")
        }
    }

    /// A known path with another method was 404 "no such endpoint", as if the path did not exist.
    @Test(arguments: [
        (HTTPRequest.Method.delete, "/v1/decisions", "POST"),
        (.get, "/v1/decisions", "POST"),
        (.get, "/v1/challenges/ch-1/verify", "POST"),
        (.post, "/v1/accounts/u-1", "PUT"),
        (.delete, "/v1/policy", "GET, PUT"),
        (.post, "/v1/policy/shadow", "GET, PUT"),
        (.post, "/healthz", "GET"),
        (.head, "/metrics", "GET"),
    ])
    func knownPathWithAnotherMethodIs405(method: HTTPRequest.Method, path: String, allow: String) async throws {
        let h = try Harness()
        try await h.app.test(.router) { client in
            let response = try await client.send(method, path, key: TestKeys.all)
            #expect(response.status == .methodNotAllowed, "body: \(response.text)")
            #expect(response.headers[.allow] == allow)
            if method != .head { expectError(response, .methodNotAllowed, code: "method_not_allowed") }
        }
    }

    /// Every method ``EndpointTable`` lists reaches a handler, so the table and the routes agree.
    @Test func everyListedMethodReachesAHandler() async throws {
        let h = try Harness()
        try await h.app.test(.router) { client in
            for endpoint in EndpointTable.endpoints {
                let path = endpoint.template.replacingOccurrences(of: "{id}", with: "ch-1").replacingOccurrences(of: "{user}", with: "u-1")
                for method in endpoint.methods {
                    let response = try await client.send(method, path, key: TestKeys.all, body: method == .get ? nil : "{}")
                    // A handler may answer 404 itself (no such challenge, no shadow set), never "no such endpoint".
                    #expect(response.status != .methodNotAllowed && !response.text.contains("no such endpoint"),
                            "\(method) \(path): \(response.status) \(response.text)")
                }
            }
        }
    }

    /// A decision writes one access line, which carries its id, outcome, rule and policy hash
    /// (a second line per decision once cost as much as the rest of the line's work).
    @Test func aDecisionWritesOneLineWithItsOutcome() async throws {
        let h = try Harness()
        try await h.app.test(.router) { client in
            let response = try await client.send(.post, "/v1/decisions", key: TestKeys.decide, body: Self.login)
            #expect(response.status == .ok, "body: \(response.text)")
        }
        let lines = h.logs.text.split(separator: "\n").filter { $0.contains("/v1/decisions") || $0.contains("decision.") }
        #expect(lines.count == 1, "lines: \(lines)")
        let line = String(lines.first ?? "")
        #expect(line.contains("\"msg\":\"request\""))
        for field in ["\"decision.id\":\"dec-", "\"decision.outcome\":", "\"decision.rule\":", "\"policy.hash\":"] {
            #expect(line.contains(field), "missing \(field) in \(line)")
        }
    }

    @Test func logsCarryNoSecrets() async throws {
        let h = try Harness()
        try await h.app.test(.router) { client in
            _ = try await client.send(.post, "/v1/decisions", key: TestKeys.decide, body: Self.login)
            _ = try await client.send(.post, "/v1/decisions", key: "an-unknown-key-123456", body: Self.login)
        }
        let text = h.logs.text
        #expect(text.contains("\"msg\":\"request\""))
        #expect(text.contains("hb.request.id"))
        #expect(text.contains("/v1/decisions"))
        for secret in [TestKeys.decide, "an-unknown-key-123456", "203.0.113.7", "Mozilla", "u-42", "+4915112345678", "d-9f2"] {
            #expect(!text.contains(secret), "log leaks \(secret)")
        }
    }
}
