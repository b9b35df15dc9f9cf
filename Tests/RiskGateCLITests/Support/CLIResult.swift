import Foundation
import Testing

/// What one run of `riskgate` did: its exit status and everything it wrote.
struct CLIResult: Sendable, CustomStringConvertible {
    /// The command line after `riskgate`, for messages.
    var arguments: [String]
    /// The exit status, or the signal number when ``signalled``.
    var status: Int32
    /// The process was ended by a signal (a crash, or the timeout's kill) instead of exiting.
    var signalled: Bool
    /// The run took longer than its timeout and was killed.
    var timedOut: Bool
    /// From the start of the process to its end, as the runner's own thread saw it (a test's
    /// clock also counts the time it waited for a thread of the shared pool).
    var elapsed: Duration
    var stdoutData: Data
    var stderrData: Data

    var stdout: String { String(decoding: stdoutData, as: UTF8.self) }
    var stderr: String { String(decoding: stderrData, as: UTF8.self) }

    /// Standard output parsed as JSON (`JSONSerialization` objects), or `nil` when it is not JSON.
    var stdoutJSON: Any? { try? JSONSerialization.jsonObject(with: stdoutData, options: [.fragmentsAllowed]) }

    /// The command, how it ended and the start of both streams: enough to see why a check failed.
    var description: String {
        func excerpt(_ text: String) -> String {
            text.count > 2_000 ? String(text.prefix(2_000)) + "… (\(text.count) characters)" : text
        }
        let ending = (timedOut ? "timed out and was killed" : signalled ? "killed by signal \(status)" : "exited \(status)")
            + String(format: " after %.2f s", Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        return "`riskgate \(arguments.joined(separator: " "))` \(ending)\n--- stdout:\n\(excerpt(stdout))\n--- stderr:\n\(excerpt(stderr))"
    }

    /// Records an issue at the caller's line unless the process exited normally with `expected`.
    func expectStatus(_ expected: Int32, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(!timedOut && !signalled && status == expected, "expected exit status \(expected): \(self)",
                sourceLocation: sourceLocation)
    }
}
