import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// docs/state.md: "a crash at any point loses no acknowledged write".
///
/// Writers that print (or answer) only after their commit are killed with SIGKILL mid-stream, a
/// few rounds on one store; then every write they acknowledged must be in the store, the audit
/// hash chain must verify and SQLite must find the file sound. A kill cannot show a missing fsync
/// (the kernel still writes the page cache out); it shows a write acknowledged before its commit,
/// a batch answered before it is durable, or a file left broken by a half-done write.
///
/// The two tests run one after the other: each keeps both cores of this machine busy.
///
/// Alone, the first takes about a second and the second about three. Their time limits are far
/// above that because in a whole `swift test` the core suite's CPU-bound tests hold Swift
/// concurrency's two threads for a minute or more at the start (every test then reports over 60 s),
/// and a test's clock runs while it waits for a thread. For the same reason the kills are sent
/// from threads of their own, not from the test's task, and the children's own timeout (the last
/// guard; every test kills them in a `defer`) is longer than the time limit.
@Suite("durability under kill -9", .serialized)
struct CrashDurabilityTests {
    static let user = "crash-user"
    /// Seconds before a child is ended by ``CLIProcess``'s timeout.
    static let childTimeout: TimeInterval = 300

    /// Two `riskgate challenge issue --count N` processes (one commit a challenge, each printed as
    /// a JSON line once committed) on one store, killed after about 200 acknowledged challenges,
    /// three rounds.
    @Test(.timeLimit(.minutes(3)))
    func killedChallengeWritersLoseNoAcknowledgedChallenge() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let database = folder.path("state.db")
        let account = try await CLIRunner.run(["account", "set", "--state", database, "--user", Self.user,
                                               "--phone", "+4915112345678", "--email", "c@example.com"])
        account.expectStatus(0)

        var acknowledged: [String] = []
        var perRound: [Int] = []
        for round in 1...3 {
            let writers = try (0..<2).map { _ in
                try CLIProcess(["challenge", "issue", "--state", database, "--user", Self.user, "--count", "100000"],
                               in: folder.url, timeout: Self.childTimeout)
            }
            defer { for writer in writers { writer.kill() } }
            // Until 200 are acknowledged, or 6 s (the debug binaries start slowly on a busy machine).
            await DedicatedThread.run {
                let deadline = Date(timeIntervalSinceNow: 6)
                while writers.map(\.stdout.completeLines.count).reduce(0, +) < 200, Date() < deadline,
                      writers.allSatisfy(\.isRunning) {
                    usleep(5_000)
                }
                for writer in writers { writer.kill() }
            }

            var thisRound = 0
            for writer in writers {
                let result = await writer.result()
                #expect(result.signalled && result.status == SIGKILL, "round \(round): the writer was to be killed: \(result)")
                #expect(result.stderr.isEmpty, "round \(round): \(result)")
                // Every line that ends in a newline was written whole, after its commit; a line
                // the kill cut off has no newline and acknowledged nothing.
                for line in PipeCapture.completeLines(of: result.stdoutData) {
                    let summary = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
                    guard let id = summary?["id"] as? String else {
                        Issue.record("round \(round): a complete line that is not a challenge summary: `\(line)`")
                        continue
                    }
                    acknowledged.append(id)
                    thisRound += 1
                }
            }
            #expect(thisRound > 0, "round \(round): no challenge acknowledged before the kill; nothing was tested")
            perRound.append(thisRound)
        }
        print("challenge writers: acknowledged \(perRound) a round")

        let stored = Set(try StateDatabase.strings("SELECT id FROM challenges", in: database))
        let missing = acknowledged.filter { !stored.contains($0) }
        #expect(missing.isEmpty, "\(missing.count) of \(acknowledged.count) acknowledged challenges are not in the store: \(missing.prefix(10))")
        #expect(Set(acknowledged).count == acknowledged.count, "a challenge id was acknowledged twice")
        // Each challenge was committed with the audit record of its decision.
        let auditRecords = try StateDatabase.strings("SELECT count(*) FROM audit WHERE kind = 'decision'", in: database)
        #expect((Int(auditRecords.first ?? "") ?? 0) >= acknowledged.count, "audit records: \(auditRecords)")
        try await Self.expectSoundStore(database)
    }

    /// `riskgate serve` (decisions committed by one writer thread in batches) answering four
    /// keep-alive connections, killed by the client that gets the 300th acknowledged decision while
    /// the others' requests are in flight; five rounds, each starting on the store the last crash left.
    ///
    /// An answer sent a fraction of a millisecond before its batch commits is caught only now and
    /// then (the kill has to land in that gap); one sent a few milliseconds early, as on a disk
    /// whose commits take that long, is caught every time.
    @Test(.timeLimit(.minutes(3)))
    func killedServiceLosesNoAcknowledgedDecision() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let database = folder.path("state.db")
        let key = "crash-test-decide-key-0001"
        let keys = try folder.write("keys.txt", "\(key) decide\n")
        // `serve` refuses a keys file other users can read.
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: keys)

        var acknowledged: [String] = []
        var perRound: [Int] = []
        var inFlight: [Int] = []
        for round in 1...5 {
            let server = try CLIProcess(["serve", "--policy", Repository.webLogin, "--state", database,
                                         "--listen", "127.0.0.1:0", "--keys", keys, "--log-level", "notice"],
                                        in: folder.url, timeout: Self.childTimeout)
            defer { server.kill() }
            let port = try await Self.listeningPort(of: server)
            try await Self.waitForHealth(port: port)

            let load = DecisionLoad(port: port, key: key, label: "r\(round)")
            defer { load.stop() }
            load.start(killAt: 300) { server.kill() }
            // Until a client has killed the server, or 6 s (then the test kills it).
            let deadline = ContinuousClock.now + .seconds(6)
            while !load.serverWasKilled, ContinuousClock.now < deadline, !load.allStopped, server.isRunning {
                try await Task.sleep(for: .milliseconds(10))
            }
            load.killServer()
            let outcome = await load.finish()
            let result = await server.result()

            #expect(result.signalled && result.status == SIGKILL, "round \(round): the server was to be killed: \(result)")
            #expect(outcome.problems.isEmpty, "round \(round): \(outcome.problems.prefix(5))")
            #expect(!outcome.acknowledged.isEmpty, "round \(round): no decision acknowledged before the kill; nothing was tested")
            acknowledged += outcome.acknowledged
            perRound.append(outcome.acknowledged.count)
            inFlight.append(outcome.inFlightAtKill)
        }
        print("service: acknowledged \(perRound) a round, requests in flight at each kill \(inFlight)")

        let stored = Set(try StateDatabase.strings("SELECT reference FROM audit WHERE kind = 'decision'", in: database))
        let missing = acknowledged.filter { !stored.contains($0) }
        #expect(missing.isEmpty, "\(missing.count) of \(acknowledged.count) acknowledged decisions have no audit record: \(missing.prefix(10))")
        #expect(Set(acknowledged).count == acknowledged.count, "a decision id was acknowledged twice")
        try await Self.expectSoundStore(database)
    }

    /// The store a crash left: SQLite's integrity check passes and `riskgate audit verify` accepts
    /// the hash chain.
    static func expectSoundStore(_ database: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        #expect(try StateDatabase.integrityCheck(database) == ["ok"], sourceLocation: sourceLocation)
        let verified = try await CLIRunner.run(["audit", "verify", database])
        verified.expectStatus(0, sourceLocation: sourceLocation)
    }

    /// The port `riskgate serve --listen 127.0.0.1:0` bound, from its `riskgate serving` log line.
    ///
    /// - Throws: when the server ends, or logs no port within 20 s (a debug build on a busy machine
    ///   takes a second or two to compile the policy and open the store).
    static func listeningPort(of server: CLIProcess) async throws -> Int {
        let deadline = ContinuousClock.now + .seconds(20)
        // Looks once more after the deadline: the task may have waited that long for a thread.
        while true {
            for line in server.stderr.completeLines {
                let entry = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
                if entry?["msg"] as? String == "riskgate serving", let port = (entry?["port"] as? String).flatMap(Int.init) {
                    return port
                }
            }
            guard server.isRunning, ContinuousClock.now < deadline else { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        server.kill()
        let result = await server.result()
        throw StartFailure(description: "the server logged no port: \(result)")
    }

    /// Waits until `GET /healthz` answers 200.
    static func waitForHealth(port: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        var last = ""
        while true {
            do {
                let response = try await DedicatedThread.run { try HTTPConnection(port: port).send("GET", "/healthz") }
                if response.status == 200 { return }
                last = "status \(response.status)"
            } catch {
                last = "\(error)"
            }
            guard ContinuousClock.now < deadline else { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw StartFailure(description: "GET /healthz on port \(port) did not answer 200: \(last)")
    }

    struct StartFailure: Error, CustomStringConvertible {
        var description: String
    }
}
