import Foundation
import Logging
import RiskGateServer
import ServiceLifecycle
import Testing

/// Runs scripts/fuzz-http.py against a real listening server over the test backend.
///
/// Slow (10,000 requests), so it runs only with `RISKGATE_FUZZ=1` (count via `RISKGATE_FUZZ_COUNT`).
/// `scripts/fuzz-http.py` is meant for `riskgate serve` with the real engine; this exercises the
/// HTTP layer alone, which is what can answer 5xx or die on hostile input.
@Suite("fuzzing the live HTTP layer")
struct ExternalToolTests {
    static let enabled = ProcessInfo.processInfo.environment["RISKGATE_FUZZ"] == "1"

    @Test(.enabled(if: enabled, "set RISKGATE_FUZZ=1 to run scripts/fuzz-http.py (takes minutes)"),
          .timeLimit(.minutes(15)))
    func fuzzScriptFindsNo5xx() async throws {
        let h = try Harness()
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let count = ProcessInfo.processInfo.environment["RISKGATE_FUZZ_COUNT"] ?? "10000"
        let (ports, sink) = AsyncStream<Int>.makeStream()
        // A quarter of the cases send wrong keys; with the failed-authentication limit on, most
        // keyed cases after the first few hundred would be 429s that never reach the parsers.
        let configuration = ServerConfiguration(port: 0, rateLimits: RateLimits(authFailuresPerAddress: nil))
        let app = try makeApplication(backend: h.backend, keys: try TestKeys.store(), configuration: configuration,
                                      metrics: h.metrics, logger: h.logs.logger(), onServerRunning: { sink.yield($0) })
        let group = ServiceGroup(configuration: .init(services: [app], logger: h.logs.logger()))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            let status = try await Self.run(
                "/usr/bin/env",
                ["python3", root.appendingPathComponent("scripts/fuzz-http.py").path, "--port", "\(port)",
                 "--count", count, "--decide-key", TestKeys.decide, "--verify-key", TestKeys.verify,
                 "--admin-key", TestKeys.admin])
            #expect(status == 0, "fuzz-http.py failed; see its output above")
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        #expect(!h.logs.text.contains("\"level\":\"error\""), "no unexpected errors logged")
    }

    /// Runs scripts/load-test.sh (wrk) against the HTTP layer over the test backend, with `RISKGATE_LOAD=1`.
    /// Numbers from a debug test build describe the script, not the product: measure `riskgate serve`.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["RISKGATE_LOAD"] == "1", "set RISKGATE_LOAD=1 to run scripts/load-test.sh"),
          .timeLimit(.minutes(5)))
    func loadScriptRuns() async throws {
        let h = try Harness()
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let duration = ProcessInfo.processInfo.environment["RISKGATE_LOAD_DURATION"] ?? "10s"
        let (ports, sink) = AsyncStream<Int>.makeStream()
        let app = try makeApplication(backend: h.backend, keys: try TestKeys.store(), configuration: .init(port: 0),
                                  metrics: h.metrics, logger: Logger(label: "quiet") { _ in SwiftLogNoOpLogHandler() },
                                  onServerRunning: { sink.yield($0) })
        let group = ServiceGroup(configuration: .init(services: [app], logger: h.logs.logger()))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            let status = try await Self.run(
                "/bin/bash", [root.appendingPathComponent("scripts/load-test.sh").path, "--url", "http://127.0.0.1:\(port)",
                              "--key", TestKeys.decide, "--duration", duration])
            #expect(status == 0, "load-test.sh failed; see its output above")
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        #expect(await h.backend.decisions.count > 100)
    }

    /// Runs a process on its own thread (so the server's executors stay free) and returns its exit status.
    static func run(_ executable: String, _ arguments: [String]) async throws -> Int32 {
        try await withCheckedThrowingContinuation { continuation in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do { try process.run() } catch { continuation.resume(throwing: error) }
        }
    }
}
