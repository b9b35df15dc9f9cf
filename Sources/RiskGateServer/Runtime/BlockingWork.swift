import NIOPosix

/// Where the service runs work that blocks a thread.
enum BlockingWork {
    /// Runs `body` on NIO's blocking-work thread pool, suspending the calling task meanwhile.
    ///
    /// Swift Concurrency's global executor has one thread per core (two here): a handler that
    /// blocks one of them (hashing KBA answers, waiting for a synchronous commit, compiling a
    /// large policy) would stall every other request meanwhile.
    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive(body)
    }
}
