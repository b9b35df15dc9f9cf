import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `riskgate serve --audit-stream FILE`: every committed record lands in the file as an export
/// line, marked as shipped (so `audit prune` takes it), and a restarted server resumes without
/// writing a record twice or skipping one.
@Suite("riskgate serve --audit-stream")
struct AuditStreamTests {
    static let key = "cli-test-audit-stream-key-0001"

    /// Starts `serve`, sends `count` decisions, waits until the stream file holds `expectLines`
    /// lines, then stops the server with SIGTERM; returns the decision ids answered.
    static func serve(_ folder: TemporaryDirectory, database: String, stream: String, count: Int,
                      expectLines: Int) async throws -> [String] {
        let keys = try folder.write("keys.txt", "\(key) decide\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: keys)
        let server = try CLIProcess(["serve", "--policy", Repository.webLogin, "--state", database, "--listen", "127.0.0.1:0",
                                     "--keys", keys, "--log-level", "notice", "--audit-stream", stream],
                                    in: folder.url, timeout: 120)
        defer { server.kill() }
        let port = try await CrashDurabilityTests.listeningPort(of: server)
        try await CrashDurabilityTests.waitForHealth(port: port)
        var ids: [String] = []
        for n in 0..<count {
            let body = PolicyFixtures.context.replacingOccurrences(of: "\"alice\"", with: "\"stream-\(n)\"")
            let response = try await DedicatedThread.run {
                try HTTPConnection(port: port).send("POST", "/v1/decisions",
                                                    headers: ["Authorization": "Bearer \(key)", "Content-Type": "application/json"],
                                                    body: Data(body.utf8))
            }
            #expect(response.status == 200)
            if let id = response.jsonObject?["id"] as? String { ids.append(id) }
        }
        let deadline = ContinuousClock.now + .seconds(20)
        while Self.lines(stream).count < expectLines, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        server.kill(SIGTERM)
        let result = await server.result()
        #expect(result.status == 0, "\(result)")
        return ids
    }

    static func lines(_ path: String) -> [[String: Any]] {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    @Test(.timeLimit(.minutes(3)))
    func everyCommittedRecordIsStreamedOnceAcrossARestart() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let database = folder.path("state.db")
        let stream = folder.path("audit.jsonl")
        var ids = try await Self.serve(folder, database: database, stream: stream, count: 3, expectLines: 3)
        #expect(ids.count == 3)
        let mode = try FileManager.default.attributesOfItem(atPath: stream)[.posixPermissions] as? Int
        #expect(mode == 0o600)

        ids += try await Self.serve(folder, database: database, stream: stream, count: 2, expectLines: 5)
        let records = Self.lines(stream)
        #expect(records.compactMap { $0["id"] as? Int } == [1, 2, 3, 4, 5], "\(records)")
        let streamed = Set(records.compactMap { $0["reference"] as? String })
        #expect(Set(ids).isSubset(of: streamed), "every answered decision is in the stream")

        // Streamed records count as exported: prune takes them without --unexported.
        let pruned = try await CLIRunner.run(["audit", "prune", database, "--before", "6"])
        pruned.expectStatus(0)
        try await CLIRunner.run(["audit", "verify", database]).expectStatus(0)
    }
}
