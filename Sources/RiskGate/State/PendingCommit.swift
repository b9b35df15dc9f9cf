import Foundation

/// A change handed to a store whose transaction may not have committed yet.
///
/// ``StateStore/beginCommit(_:)`` queues a change and returns at once, so a caller can queue under
/// a lock (keeping one user's changes in order) and wait outside it. Wait with ``wait()`` from
/// synchronous code or ``value()`` from a task: the task is suspended, not its thread, so the
/// service keeps serving while a group commit runs.
public final class PendingCommit: @unchecked Sendable {
    private let lock = NSLock()
    private var result: Result<Void, any Error>?
    private var continuation: CheckedContinuation<Void, any Error>?
    private var semaphore: DispatchSemaphore?

    init() {}

    /// A commit that already finished with `result`.
    public init(finished result: Result<Void, any Error>) { self.result = result }

    /// Records the outcome and wakes whoever waits. Called once.
    func finish(_ outcome: Result<Void, any Error>) {
        let (continuation, semaphore) = lock.withLock {
            result = outcome
            defer { self.continuation = nil; self.semaphore = nil }
            return (self.continuation, self.semaphore)
        }
        continuation?.resume(with: outcome)
        semaphore?.signal()
    }

    /// Blocks until the change is committed.
    ///
    /// - Throws: the store's error when the change was not written.
    public func wait() throws {
        let semaphore: DispatchSemaphore? = lock.withLock {
            if result != nil { return nil }
            let waiting = DispatchSemaphore(value: 0)
            self.semaphore = waiting
            return waiting
        }
        semaphore?.wait()
        try lock.withLock { result }?.get()
    }

    /// Suspends until the change is committed.
    ///
    /// - Throws: the store's error when the change was not written.
    public func value() async throws {
        try await withCheckedThrowingContinuation { (waiting: CheckedContinuation<Void, any Error>) in
            let finished: Result<Void, any Error>? = lock.withLock {
                if let result { return result }
                continuation = waiting
                return nil
            }
            if let finished { waiting.resume(with: finished) }
        }
    }
}
