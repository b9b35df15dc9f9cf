import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Two `riskgate serve` replicas on one PostgreSQL database, as a team runs them behind a load
/// balancer: lockout, challenges and the audit log hold across them, and a replica killed with
/// SIGKILL under load loses no decision it acknowledged.
///
/// Runs when `RISKGATE_TEST_POSTGRES_URL` names a server (scripts/with-postgres.sh, and so CI).
@Suite("two replicas on PostgreSQL", .serialized,
       .enabled(if: TestPostgresServer.url != nil, "RISKGATE_TEST_POSTGRES_URL is not set (scripts/with-postgres.sh sets it)"))
struct PostgresReplicasTests {
    static var baseURL: String? { TestPostgresServer.url }

    static let policy = """
        riskgate: 1
        policy: replicas
        decide:
          - { id: locked, when: account.locked, outcome: deny }
          - { id: step-up, when: device.new, outcome: otp }
          - { id: default, outcome: passive }
        challenges:
          otp: { length: 6, ttl: 5m, max_attempts: 3, channels: [sms] }
        lockout: { threshold: 5, window: 15m, duration: 30m, bans_after: 3 }

        """

    static let apiKey = "replica-test-key-000000001"
    static let password = "pw-never-shown-4711"

    /// Everything two replicas need: a fresh database, a policy, a secrets key file, an API keys file.
    struct Setup {
        let folder: TemporaryDirectory
        let url: String
        let policy: String
        let secretsKey: String
        let keys: String

        init() async throws {
            folder = try TemporaryDirectory()
            let base = try #require(PostgresReplicasTests.baseURL)
            let name = "rgcli_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
            _ = try PostgresReplicasTests.psql(base, "CREATE DATABASE \(name)")
            var parts = try #require(URLComponents(string: base))
            parts.path = "/\(name)"
            // The test cluster trusts local connections, so any password works: it is here to check
            // that no message shows it.
            parts.password = PostgresReplicasTests.password
            url = try #require(parts.string)
            policy = try folder.write("policy.yaml", PostgresReplicasTests.policy)
            secretsKey = folder.path("secrets.key")
            let keygen = try await CLIRunner.run(["keygen", secretsKey])
            keygen.expectStatus(0)
            keys = try folder.write("keys.txt", "\(PostgresReplicasTests.apiKey) decide,verify,admin\n")
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: keys)
        }

        /// Starts a replica and waits until it answers `/healthz`.
        func replica() async throws -> (CLIProcess, Int) {
            let server = try CLIProcess(["serve", "--policy", policy, "--state", url, "--secrets-key", secretsKey,
                                         "--listen", "127.0.0.1:0", "--keys", keys, "--log-level", "notice"],
                                        in: folder.url, timeout: 300)
            let port = try await CrashDurabilityTests.listeningPort(of: server)
            try await CrashDurabilityTests.waitForHealth(port: port)
            return (server, port)
        }
    }

    /// Runs one statement with `psql` and returns its rows (unaligned, one a line).
    static func psql(_ url: String, _ sql: String) throws -> [String] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["psql", url, "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-c", sql]
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let problem = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CrashDurabilityTests.StartFailure(description: "psql: \(String(decoding: problem, as: UTF8.self))")
        }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    static func post(_ port: Int, _ path: String, _ body: String) async throws -> HTTPConnection.Response {
        try await DedicatedThread.run {
            try HTTPConnection(port: port).send("POST", path, headers: ["Authorization": "Bearer \(apiKey)",
                                                                        "Content-Type": "application/json"],
                                                body: Data(body.utf8))
        }
    }

    static func decide(_ port: Int, user: String, device: String, result: String = "success") async throws -> [String: Any] {
        let response = try await post(port, "/v1/decisions", """
            {"user": "\(user)", "channel": "web", "action": "login", "ip": "192.0.2.10", "device": {"id": "\(device)"}, \
            "result": "\(result)"}
            """)
        #expect(response.status == 200, "\(String(decoding: response.body, as: UTF8.self))")
        return response.jsonObject ?? [:]
    }

    @Test(.timeLimit(.minutes(5)))
    func lockoutChallengesAndAKilledReplica() async throws {
        let setup = try await Setup()
        defer { setup.folder.remove() }
        let (a, portA) = try await setup.replica()
        defer { a.kill() }
        let (b, portB) = try await setup.replica()
        defer { b.kill() }

        // Failed passwords sent alternately to both replicas (three to A, two to B): the fifth locks
        // the account, whichever replica is asked next.
        for attempt in 0..<4 {
            _ = try await Self.decide(attempt % 2 == 0 ? portA : portB, user: "target", device: "d-1", result: "failure")
        }
        let beforeLock = try await Self.decide(portB, user: "target", device: "d-1")
        #expect(beforeLock["outcome"] as? String != "deny", "four failures are below the threshold: \(beforeLock)")
        _ = try await Self.decide(portA, user: "target", device: "d-1", result: "failure")
        for port in [portA, portB] {
            let afterLock = try await Self.decide(port, user: "target", device: "d-1")
            #expect(afterLock["outcome"] as? String == "deny" && ["locked", "account.locked"].contains(afterLock["rule"] as? String ?? ""), "\(afterLock)")
        }

        // A challenge raised by replica A is verified through replica B.
        let account = try await DedicatedThread.run {
            try HTTPConnection(port: portA).send("PUT", "/v1/accounts/carol",
                                                 headers: ["Authorization": "Bearer \(Self.apiKey)", "Content-Type": "application/json"],
                                                 body: Data(#"{"phone": "+4915112345678"}"#.utf8))
        }
        #expect(account.status == 200)
        let stepUp = try await Self.decide(portA, user: "carol", device: "d-new")
        #expect(stepUp["outcome"] as? String == "otp")
        let challenge = try #require((stepUp["challenge"] as? [String: Any])?["id"] as? String)
        let outbox = try await CLIRunner.run(["challenge", "outbox", "--state", setup.url, "--secrets-key", setup.secretsKey])
        outbox.expectStatus(0)
        let message = outbox.stdout.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }.first { $0["challenge"] as? String == challenge }
        let body = try #require((message?["body"] as? String).flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) } as? [String: String])
        let code = try #require(body["code"])
        let verified = try await Self.post(portB, "/v1/challenges/\(challenge)/verify", #"{"step": "otp", "response": "\#(code)"}"#)
        #expect(verified.status == 200 && verified.jsonObject?["result"] as? String == "passed",
                "\(String(decoding: verified.body, as: UTF8.self))")
        let replayed = try await Self.post(portA, "/v1/challenges/\(challenge)/verify", #"{"step": "otp", "response": "\#(code)"}"#)
        #expect(replayed.status == 409, "a code passed on one replica is spent on the other")

        // Load on both replicas; the client that gets A's 150th answer kills A with SIGKILL.
        let loadA = DecisionLoad(port: portA, key: Self.apiKey, label: "a")
        let loadB = DecisionLoad(port: portB, key: Self.apiKey, label: "b")
        defer { loadA.stop(); loadB.stop() }
        loadA.start(killAt: 150) { a.kill() }
        loadB.start(killAt: Int.max) {}
        let deadline = ContinuousClock.now + .seconds(30)
        while !loadA.serverWasKilled, ContinuousClock.now < deadline, !loadA.allStopped {
            try await Task.sleep(for: .milliseconds(10))
        }
        loadA.killServer()
        // B keeps answering after A is gone.
        try await Task.sleep(for: .milliseconds(500))
        let outcomeA = await loadA.finish()
        let outcomeB = await loadB.finish()
        let resultA = await a.result()
        #expect(resultA.signalled && resultA.status == SIGKILL, "\(resultA)")
        #expect(outcomeA.problems.isEmpty, "\(outcomeA.problems.prefix(5))")
        #expect(outcomeB.problems.isEmpty, "\(outcomeB.problems.prefix(5))")
        #expect(outcomeA.acknowledged.count >= 150 && !outcomeB.acknowledged.isEmpty)
        print("replicas: A acknowledged \(outcomeA.acknowledged.count) before its kill (\(outcomeA.inFlightAtKill) in flight), B \(outcomeB.acknowledged.count)")
        let afterKill = try await Self.decide(portB, user: "after-kill", device: "d-1")
        #expect(afterKill["id"] is String)
        b.kill()
        let resultB = await b.result()
        #expect(!resultB.stderr.contains(Self.password) && !resultA.stderr.contains(Self.password), "a replica logged the password")

        // Every acknowledged decision is in the audit log, and the log verifies.
        let stored = Set(try Self.psql(setup.url, "SELECT reference FROM audit WHERE kind = 'decision'"))
        let acknowledged = outcomeA.acknowledged + outcomeB.acknowledged
        let missing = acknowledged.filter { !stored.contains($0) }
        #expect(missing.isEmpty, "\(missing.count) of \(acknowledged.count) acknowledged decisions have no audit record")
        let verify = try await CLIRunner.run(["audit", "verify", setup.url, "--secrets-key", setup.secretsKey])
        verify.expectStatus(0)
        #expect(verify.stdout.contains("audit log valid"), "\(verify)")
        #expect(!verify.stdout.contains(Self.password), "the URL is shown without its password")
    }

    /// While its database refuses connections a replica answers 503; once it accepts them again the
    /// replica answers 200 without being restarted.
    @Test(.timeLimit(.minutes(3)))
    func aReplicaAnswers503WhileTheDatabaseIsGoneAndRecovers() async throws {
        let setup = try await Setup()
        defer { setup.folder.remove() }
        let (server, port) = try await setup.replica()
        defer { server.kill() }
        _ = try await Self.decide(port, user: "u-1", device: "d-1")
        let base = try #require(Self.baseURL)
        let database = try #require(URLComponents(string: setup.url)?.path.dropFirst()).description
        _ = try Self.psql(base, "ALTER DATABASE \(database) ALLOW_CONNECTIONS false")
        _ = try Self.psql(base, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '\(database)'")
        let body = #"{"user": "u-1", "channel": "web", "action": "login", "ip": "192.0.2.10", "device": {"id": "d-1"}}"#
        let during = try await Self.post(port, "/v1/decisions", body)
        #expect(during.status == 503, "\(String(decoding: during.body, as: UTF8.self))")
        _ = try Self.psql(base, "ALTER DATABASE \(database) ALLOW_CONNECTIONS true")
        let after = try await Self.post(port, "/v1/decisions", body)
        #expect(after.status == 200, "\(String(decoding: after.body, as: UTF8.self))")
    }

    /// A postgres:// state without a named secrets key is refused with a clear message.
    @Test func aDatabaseURLNeedsANamedSecretsKey() async throws {
        let base = try #require(Self.baseURL)
        let result = try await CLIRunner.run(["account", "show", "--state", base, "--user", "u-1"],
                                             environment: ["RISKGATE_SECRETS_KEY": ""])
        result.expectStatus(2)
        #expect(result.stderr.contains("--secrets-key"), "\(result)")
    }
}

/// The PostgreSQL server scripts/with-postgres.sh started, if any.
enum TestPostgresServer {
    static var url: String? {
        ProcessInfo.processInfo.environment["RISKGATE_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }
}
