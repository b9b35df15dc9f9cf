import Foundation

/// Runs blocking work (waiting for a child, a socket call) on a thread of its own.
///
/// Swift concurrency's shared pool has one thread a core; a test that blocks one of them can
/// starve every other test running in parallel, and on this two-core machine that is all of them.
enum DedicatedThread {
    /// Runs `body` on a new thread and suspends the caller until it returns.
    static func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: body()) }
        }
    }

    /// Runs `body` on a new thread and suspends the caller until it returns or throws.
    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
        }
    }
}
