import Foundation

/// Runs the real `riskgate` executable in a child process.
enum CLIRunner {
    /// How long one run may take before it is killed; generous because a debug binary on a busy
    /// two-core machine can take a few seconds to start and compile a policy.
    static let defaultTimeout: TimeInterval = 120

    /// Runs `riskgate arguments...` and waits for it.
    ///
    /// Standard output and standard error are read on their own threads while the process runs
    /// (a child that fills one pipe while the parent waits on the other would otherwise hang),
    /// and `stdin`, when given, is written on a third and then closed; without it the child
    /// reads `/dev/null`. The blocking waits happen on a dedicated thread, not on Swift
    /// concurrency's small shared pool, so parallel tests cannot starve each other.
    ///
    /// - Parameters:
    ///   - directory: the working directory; the tests pass a temporary folder so relative
    ///     paths the command resolves (e.g. `generate`'s default IP lists) do not depend on
    ///     where `swift test` was started.
    ///   - timeout: seconds before the process is terminated (SIGTERM, then SIGKILL); the
    ///     result then has `timedOut` set.
    /// - Throws: ``RiskGateBinary/NotFound`` when the binary is missing, or the error starting it.
    static func run(_ arguments: [String], stdin: Data? = nil, in directory: URL? = nil,
                    timeout: TimeInterval = defaultTimeout) async throws -> CLIResult {
        let binary = try RiskGateBinary.url()
        return try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                do {
                    continuation.resume(returning: try runBlocking(binary, arguments, stdin: stdin, in: directory, timeout: timeout))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }

    private static func runBlocking(_ binary: URL, _ arguments: [String], stdin: Data?, in directory: URL?,
                                    timeout: TimeInterval) throws -> CLIResult {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        let input: Pipe? = stdin.map { _ in Pipe() }
        process.standardInput = input ?? FileHandle.nullDevice
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        // `run()` closes the parent's copies of the child's pipe ends (so the readers see end of
        // file when the child exits) and every other descriptor in the child (so a child started
        // by a parallel test does not hold these pipes open).
        let clock = ContinuousClock()
        let started = clock.now
        try process.run()

        let streams = DispatchGroup()
        let stdoutData = StreamBox(), stderrData = StreamBox()
        read(output.fileHandleForReading, into: stdoutData, group: streams)
        read(errors.fileHandleForReading, into: stderrData, group: streams)
        if let input, let stdin {
            let writer = input.fileHandleForWriting
            streams.enter()
            Thread.detachNewThread {
                // A child that exits without reading its input (e.g. on a broken policy) makes
                // this write fail. SIGPIPE is blocked on this thread alone, so that is an EPIPE
                // here instead of a signal ending the test process, and the children, started
                // from other threads, keep the default disposition.
                var pipeSignal = sigset_t()
                sigemptyset(&pipeSignal)
                sigaddset(&pipeSignal, SIGPIPE)
                pthread_sigmask(SIG_BLOCK, &pipeSignal, nil)
                try? writer.write(contentsOf: stdin)
                try? writer.close()
                streams.leave()
            }
        }

        var timedOut = false
        if exited.wait(timeout: .now() + timeout) == .timedOut {
            timedOut = true
            process.terminate()
            if exited.wait(timeout: .now() + 5) == .timedOut {
                kill(process.processIdentifier, SIGKILL)
                exited.wait()
            }
        }
        let elapsed = clock.now - started
        // The child is gone, so its pipes are at end of file unless it left a grandchild holding them.
        _ = streams.wait(timeout: .now() + 10)
        return CLIResult(arguments: arguments, status: process.terminationStatus,
                         signalled: process.terminationReason == .uncaughtSignal, timedOut: timedOut, elapsed: elapsed,
                         stdoutData: stdoutData.data, stderrData: stderrData.data)
    }

    private static func read(_ handle: FileHandle, into box: StreamBox, group: DispatchGroup) {
        DispatchQueue.global().async(group: group) {
            box.data = (try? handle.readToEnd()) ?? Data()
            try? handle.close()
        }
    }
}

/// One stream's bytes, written by its reader thread and read after the group wait (which orders
/// the two), hence `@unchecked Sendable`.
private final class StreamBox: @unchecked Sendable {
    var data = Data()
}
