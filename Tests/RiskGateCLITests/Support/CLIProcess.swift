import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A `riskgate` child process that is running: its output can be read while it runs, and it can
/// be killed.
///
/// ``CLIRunner`` starts one and waits for its result; the crash tests start long-running writers
/// and a server, read what they acknowledged so far and `kill -9` them. A test that starts one
/// ends it in a `defer` (``kill(_:)``), so a failing check does not leave it running; the timeout
/// given at start is the last guard, for a test that never gets there.
final class CLIProcess: @unchecked Sendable {
    /// The command line after `riskgate`.
    let arguments: [String]
    /// Standard output, read as it arrives.
    let stdout: PipeCapture
    /// Standard error, read as it arrives.
    let stderr: PipeCapture

    private let process = Process()
    private let exited = DispatchGroup()
    private let clock = ContinuousClock()
    private let started: ContinuousClock.Instant
    private let state = State()

    /// When the process ended and whether the timeout ended it.
    private final class State: @unchecked Sendable {
        let lock = NSLock()
        var ended: ContinuousClock.Instant?
        var timedOut = false
    }

    /// Starts `riskgate arguments...`.
    ///
    /// `stdin`, when given, is written on a thread of its own and then closed; without it the
    /// child reads `/dev/null`.
    ///
    /// - Parameters:
    ///   - directory: the working directory; the tests pass a temporary folder so relative paths
    ///     the command resolves do not depend on where `swift test` was started.
    ///   - timeout: seconds before the process is terminated (SIGTERM, then SIGKILL five seconds
    ///     later); its result then has `timedOut` set.
    /// - Throws: ``RiskGateBinary/NotFound`` when the binary is missing, or the error starting it.
    init(_ arguments: [String], stdin: Data? = nil, in directory: URL? = nil, environment: [String: String] = [:],
         timeout: TimeInterval) throws {
        self.arguments = arguments
        process.executableURL = try RiskGateBinary.url()
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        }
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        let input: Pipe? = stdin.map { _ in Pipe() }
        process.standardInput = input ?? FileHandle.nullDevice
        let (exited, state, clock) = (exited, state, clock)
        exited.enter()
        process.terminationHandler = { _ in
            state.lock.withLock { state.ended = clock.now }
            exited.leave()
        }
        // `run()` closes the parent's copies of the child's pipe ends (so the readers see end of
        // file when the child exits) and every other descriptor in the child (so a child started
        // by a parallel test does not hold these pipes open).
        started = clock.now
        do {
            try process.run()
        } catch {
            exited.leave()
            throw error
        }
        stdout = PipeCapture(reading: output.fileHandleForReading)
        stderr = PipeCapture(reading: errors.fileHandleForReading)
        if let input, let stdin { Self.write(stdin, to: input.fileHandleForWriting) }
        Self.watch(process, exited: exited, state: state, timeout: timeout)
    }

    /// The child's process id.
    var processIdentifier: Int32 { process.processIdentifier }

    /// Whether the child has not ended yet.
    var isRunning: Bool { exited.wait(timeout: .now()) == .timedOut }

    /// Sends `signal` (SIGKILL unless told) unless the child has already ended; does not wait.
    func kill(_ signal: Int32 = SIGKILL) {
        // The check narrows, but cannot close, the window in which the id could have been reused.
        if isRunning { send(signal, to: process.processIdentifier) }
    }

    /// Blocks until the child has ended or `timeout` seconds have passed; returns whether it ended.
    @discardableResult
    func waitForExit(timeout: TimeInterval) -> Bool {
        exited.wait(timeout: .now() + timeout) == .success
    }

    /// Blocks until the child has ended and both its pipes are at end of file, then returns what it did.
    ///
    /// The pipes are waited for ten seconds at most: a grandchild could hold them open.
    func waitForResult() -> CLIResult {
        exited.wait()
        let streamsDeadline = Date(timeIntervalSinceNow: 10)
        stdout.waitForEnd(until: streamsDeadline)
        stderr.waitForEnd(until: streamsDeadline)
        let (ended, timedOut) = state.lock.withLock { (state.ended ?? clock.now, state.timedOut) }
        return CLIResult(arguments: arguments, status: process.terminationStatus,
                         signalled: process.terminationReason == .uncaughtSignal, timedOut: timedOut,
                         elapsed: ended - started, stdoutData: stdout.data, stderrData: stderr.data)
    }

    /// ``waitForResult()`` on a thread of its own, so the waiting holds none of Swift
    /// concurrency's few shared threads and parallel tests cannot starve each other.
    func result() async -> CLIResult {
        await DedicatedThread.run { self.waitForResult() }
    }

    /// Ends the child when it outlives `timeout`: SIGTERM, then SIGKILL five seconds later.
    ///
    /// Scheduled work, not a waiting thread; it holds the `Process` and the flags, not the output.
    private static func watch(_ process: Process, exited: DispatchGroup, state: State, timeout: TimeInterval) {
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout) {
            guard exited.wait(timeout: .now()) == .timedOut else { return }
            state.lock.withLock { state.timedOut = true }
            send(SIGTERM, to: process.processIdentifier)
            DispatchQueue.global().asyncAfter(deadline: .now() + 5) {
                if exited.wait(timeout: .now()) == .timedOut { send(SIGKILL, to: process.processIdentifier) }
            }
        }
    }

    /// Writes `data` to the child's standard input on a thread of its own, then closes it.
    private static func write(_ data: Data, to writer: FileHandle) {
        Thread.detachNewThread {
            // A child that exits without reading its input (e.g. on a broken policy) makes this
            // write fail. SIGPIPE is blocked on this thread alone, so that is an EPIPE here instead
            // of a signal ending the test process, and the children, started from other threads,
            // keep the default disposition.
            var pipeSignal = sigset_t()
            sigemptyset(&pipeSignal)
            sigaddset(&pipeSignal, SIGPIPE)
            pthread_sigmask(SIG_BLOCK, &pipeSignal, nil)
            try? writer.write(contentsOf: data)
            try? writer.close()
        }
    }
}

/// `kill(2)`, under a name the type's own ``CLIProcess/kill(_:)`` does not hide.
private func send(_ signal: Int32, to process: pid_t) {
    _ = kill(process, signal)
}
