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
    /// concurrency's small shared pool, so parallel tests cannot starve each other. (All of it is
    /// ``CLIProcess``, which the tests that read output while the child runs use directly.)
    ///
    /// - Parameters:
    ///   - directory: the working directory; the tests pass a temporary folder so relative
    ///     paths the command resolves (e.g. `generate`'s default IP lists) do not depend on
    ///     where `swift test` was started.
    ///   - environment: variables set for the child on top of this process's environment.
    ///   - timeout: seconds before the process is terminated (SIGTERM, then SIGKILL); the
    ///     result then has `timedOut` set.
    /// - Throws: ``RiskGateBinary/NotFound`` when the binary is missing, or the error starting it.
    static func run(_ arguments: [String], stdin: Data? = nil, in directory: URL? = nil, environment: [String: String] = [:],
                    timeout: TimeInterval = defaultTimeout) async throws -> CLIResult {
        try await CLIProcess(arguments, stdin: stdin, in: directory, environment: environment, timeout: timeout).result()
    }
}
