import Foundation
import Testing

/// The harness itself: it finds the binary, never deadlocks on a chatty or deaf child, and ends
/// one that hangs.
@Suite("running riskgate")
struct CLIRunnerTests {
    @Test func theBinaryIsFoundAndRuns() async throws {
        let result = try await CLIRunner.run(["version"])
        result.expectStatus(0)
        #expect(result.stdout.hasPrefix("riskgate "), "\(result)")
    }

    @Test func outputLargerThanAPipeBufferIsReadWhileTheChildRuns() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let result = try await CLIRunner.run(["generate", "--users", "50", "--events", "3000", "--seed", "3"], in: folder.url)
        result.expectStatus(0)
        #expect(result.stdoutData.count > 1 << 20, "well past the 64 KiB pipe buffer")
        #expect(result.stdout.split(separator: "\n").count == 3000)
        #expect(result.stderr.contains("generated 3000 events"), "\(result)")
    }

    @Test func inputTheChildNeverReadsDoesNotHangOrKillTheTests() async throws {
        // `version` exits without reading standard input; 4 MiB cannot fit in the pipe, so the
        // write fails with EPIPE once the child is gone.
        let result = try await CLIRunner.run(["version"], stdin: Data(repeating: 0x7B, count: 4 << 20))
        result.expectStatus(0)
    }

    @Test func aChildStillRunningAtTheTimeoutIsKilled() async throws {
        let result = try await CLIRunner.run(["serve", "--policy", Repository.webLogin, "--listen", "127.0.0.1:0"], timeout: 2)
        #expect(result.timedOut, "\(result)")
        // Two seconds, then at most five for SIGTERM before SIGKILL.
        #expect(result.elapsed < .seconds(30), "\(result)")
    }
}
