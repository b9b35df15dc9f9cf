import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `riskgate deliver` and `riskgate challenge dead-letters`, run as a user would, against a
/// webhook receiver on 127.0.0.1.
@Suite("riskgate deliver, challenge dead-letters")
struct DeliverCommandTests {
    static let phone = "+4915112345678"

    /// A database with user `u-1` (a phone on file) and `count` OTP challenges issued to them;
    /// returns the database path and the challenge ids.
    func issuedChallenges(in folder: TemporaryDirectory, count: Int = 1) async throws -> (String, [String]) {
        let database = folder.path("state.db")
        try await CLIRunner.run(["account", "set", "--state", database, "--user", "u-1", "--phone", Self.phone]).expectStatus(0)
        var ids: [String] = []
        for _ in 0..<count {
            let issued = try await CLIRunner.run(["challenge", "issue", "--state", database, "--user", "u-1", "--channel", "web"])
            issued.expectStatus(0)
            ids.append(try #require((issued.stdoutJSON as? [String: Any])?["id"] as? String, "\(issued)"))
        }
        return (database, ids)
    }

    func secretFile(in folder: TemporaryDirectory, mode: Int = 0o600) throws -> String {
        let path = try folder.write("webhook.secret", "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a6978\n")
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        return path
    }

    /// The held-out case through the command line: the receiver answers 500 twice, then 200; the
    /// code arrives once, signed, and is the code that passes the challenge.
    @Test func deliversEachCodeOnceAfterRetries() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let (database, challenges) = try await issuedChallenges(in: folder)
        let receiver = try WebhookReceiver(answer: { $0 < 2 ? 500 : 200 })
        defer { receiver.stop() }
        let run = try await CLIRunner.run(["deliver", "--state", database, "--webhook", receiver.url,
                                           "--webhook-secret-file", try secretFile(in: folder), "--once",
                                           "--retry-base", "0.05", "--retry-max", "0.2", "--max-attempts", "4"])
        run.expectStatus(0)
        let summary = try #require(run.stdoutJSON as? [String: Any], "\(run)")
        #expect(summary["sent"] as? Int == 1 && summary["retried"] as? Int == 2 && summary["dead_lettered"] as? Int == 0)
        let requests = receiver.requests
        #expect(requests.map(\.status) == [500, 500, 200])
        #expect(Set(requests.compactMap { $0.headers["idempotency-key"] }).count == 1, "one key for every attempt")
        for request in requests {
            let signature = try #require(request.headers["riskgate-signature"])
            #expect(signature.range(of: #"^t=\d+,v1=[0-9a-f]{64}$"#, options: .regularExpression) != nil, "\(signature)")
        }
        let accepted = try #require(requests.last?.json)
        #expect(accepted["challenge"] as? String == challenges[0] && accepted["destination"] as? String == Self.phone)
        #expect(accepted["attempt"] as? Int == 3)
        let code = try #require((accepted["body"] as? [String: Any])?["code"] as? String)
        for secret in [code, Self.phone] {
            #expect(!run.stderr.contains(secret), "`\(secret)` reached the log")
        }
        #expect(run.stderr.contains("outbox.id"))
        let outbox = try await CLIRunner.run(["challenge", "outbox", "--state", database])
        outbox.expectStatus(0)
        #expect(outbox.stdout.isEmpty, "delivered messages left the outbox")
        let verified = try await CLIRunner.run(["challenge", "verify", "--state", database, "--challenge", challenges[0],
                                                "--step", "otp", "--response", code])
        verified.expectStatus(0)
    }

    /// A receiver that always fails: the message ends in the dead letters, listed without its code
    /// and sent back by an operator.
    @Test func deadLettersAreListedWithoutCodesAndRetried() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let (database, challenges) = try await issuedChallenges(in: folder)
        let receiver = try WebhookReceiver(answer: { _ in 503 })
        defer { receiver.stop() }
        let run = try await CLIRunner.run(["deliver", "--state", database, "--webhook", receiver.url,
                                           "--webhook-secret-file", try secretFile(in: folder), "--once",
                                           "--retry-base", "0.05", "--retry-max", "0.1", "--max-attempts", "2"])
        run.expectStatus(1)
        #expect((run.stdoutJSON as? [String: Any])?["dead_lettered"] as? Int == 1, "\(run)")
        #expect(receiver.requests.count == 2)
        // Logged just before the command exits: the buffered log must be written out by then.
        #expect(run.stderr.contains("message moved to the dead letters"), "\(run.stderr)")
        let code = try #require((receiver.requests.first?.json["body"] as? [String: Any])?["code"] as? String)

        let listed = try await CLIRunner.run(["challenge", "dead-letters", "--state", database])
        listed.expectStatus(0)
        let letter = try #require(listed.stdoutJSON as? [String: Any], "\(listed)")
        #expect(letter["challenge"] as? String == challenges[0] && letter["reason"] as? String == "http 503")
        #expect(letter["attempts"] as? Int == 2 && letter["kind"] as? String == "otp" && letter["body"] == nil)
        #expect(!listed.stdout.contains(code))
        let id = try #require(letter["id"] as? Int)

        try await CLIRunner.run(["challenge", "dead-letters", "--state", database, "--retry", "\(id + 1000)"]).expectStatus(1)
        let retried = try await CLIRunner.run(["challenge", "dead-letters", "--state", database, "--retry", "\(id)"])
        retried.expectStatus(0)
        #expect((retried.stdoutJSON as? [String: Any])?["retried"] as? Int == id)
        #expect(try await CLIRunner.run(["challenge", "dead-letters", "--state", database]).stdout.isEmpty)
        let outbox = try await CLIRunner.run(["challenge", "outbox", "--state", database])
        #expect((outbox.stdoutJSON as? [String: Any])?["id"] as? Int == id, "\(outbox)")
    }

    /// `serve --deliver-webhook`: a code issued into the service's database reaches the webhook,
    /// the delivery counters show on /metrics, and SIGTERM stops both.
    @Test(.timeLimit(.minutes(3)))
    func serveDeliversBesideTheService() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let (database, _) = try await issuedChallenges(in: folder, count: 0)
        let keys = try folder.write("keys.txt", "cli-delivery-metrics-key-01 metrics\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: keys)
        let receiver = try WebhookReceiver(answer: { $0 < 1 ? 500 : 200 })
        defer { receiver.stop() }
        let server = try CLIProcess(["serve", "--policy", Repository.webLogin, "--state", database, "--listen", "127.0.0.1:0",
                                     "--keys", keys, "--deliver-webhook", receiver.url,
                                     "--webhook-secret-file", try secretFile(in: folder), "--deliver-timeout", "5"],
                                    in: folder.url, timeout: 150)
        defer { server.kill() }
        let port = try await CrashDurabilityTests.listeningPort(of: server)
        // Another process writes the code; the service's deliverer finds it in the shared outbox.
        let issued = try await CLIRunner.run(["challenge", "issue", "--state", database, "--user", "u-1", "--channel", "web"])
        issued.expectStatus(0)
        let challenge = try #require((issued.stdoutJSON as? [String: Any])?["id"] as? String)
        let deadline = ContinuousClock.now + .seconds(30)
        while !receiver.requests.contains(where: { $0.status == 200 }) && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(receiver.requests.map(\.status) == [500, 200])
        #expect(receiver.requests.last?.json["challenge"] as? String == challenge)
        let metrics = try await DedicatedThread.run {
            try HTTPConnection(port: port).send("GET", "/metrics", headers: ["Authorization": "Bearer cli-delivery-metrics-key-01"])
        }
        let text = String(decoding: metrics.body, as: UTF8.self)
        #expect(text.contains("riskgate_delivery_sent_total 1"), "\(text)")
        #expect(text.contains("riskgate_delivery_retries_total 1"), "\(text)")
        #expect(text.contains("riskgate_delivery_queue_age_seconds"), "\(text)")
        server.kill(SIGTERM)
        let result = await server.result()
        result.expectStatus(0)
        let code = (receiver.requests.last?.json["body"] as? [String: Any])?["code"] as? String ?? "-"
        #expect(!result.stderr.contains(code) && !result.stderr.contains(Self.phone))
    }

    /// The secret must be private and must come from a file; bad flags are usage errors.
    @Test func refusesUnsafeSecretsAndBadFlags() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let (database, _) = try await issuedChallenges(in: folder)
        let open = try secretFile(in: folder, mode: 0o644)
        let refused = try await CLIRunner.run(["deliver", "--state", database, "--webhook", "http://127.0.0.1:9/hook",
                                               "--webhook-secret-file", open, "--once"])
        refused.expectStatus(2)
        #expect(refused.stderr.contains("chmod 600"), "\(refused)")
        #expect(!refused.stderr.contains("0f1e2d3c4b5a"), "the secret was printed")
        let short = try folder.write("short.secret", "tiny\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: short)
        try await CLIRunner.run(["deliver", "--state", database, "--webhook", "http://127.0.0.1:9/hook",
                                 "--webhook-secret-file", short, "--once"]).expectStatus(2)
        try await CLIRunner.run(["deliver", "--state", database, "--webhook", "ftp://example.com/",
                                 "--webhook-secret-file", try secretFile(in: folder), "--once"]).expectStatus(2)
        try await CLIRunner.run(["deliver", "--state", database, "--webhook", "http://127.0.0.1:9/hook", "--once"]).expectStatus(2)
        try await CLIRunner.run(["serve", "--policy", "p.yaml", "--deliver-webhook", "http://127.0.0.1:9/hook"]).expectStatus(2)
        try await CLIRunner.run(["challenge", "dead-letters", "--state", database, "--retry", "1", "--retry-all"]).expectStatus(2)
    }
}
