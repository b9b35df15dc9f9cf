import NIOCore
import NIOPosix

/// Where the service's Swift Concurrency tasks run.
public enum EventLoopExecutor {
    /// Makes NIO's singleton event loops (the threads Hummingbird serves connections on) Swift
    /// Concurrency's global executor, so a request's handler and the resumption after its commit
    /// run on an event loop instead of hopping to the global thread pool and back. Measured with
    /// `scripts/load-test.sh`: 5–17 % less CPU per decision.
    ///
    /// Call it once, from `serve`, before the server runs. Handlers must then not block: the
    /// backend runs blocking work (password hashing, synchronous commits, policy compilation) on
    /// ``blocking(_:)``.
    ///
    /// - Returns: whether the event loops were installed (false where NIO cannot take over).
    @discardableResult
    public static func install() -> Bool {
        NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
    }

    /// Runs `body` on NIO's blocking-work thread pool, suspending the calling task meanwhile.
    static func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive(body)
    }
}
