import Foundation

/// A source of "now", injected so replay is deterministic and tests never sleep.
public protocol Clock: Sendable {
    func now() -> Date
}

/// The wall clock.
public struct SystemClock: Clock {
    public init() {}
    public func now() -> Date { Date() }
}

/// A clock that only moves when told to; for tests and replay.
public final class ManualClock: Clock, @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date
    public init(_ start: Date = Date(timeIntervalSince1970: 1_790_000_000)) { current = start }
    public func now() -> Date { lock.withLock { current } }
    /// Sets the time.
    public func set(_ date: Date) { lock.withLock { current = date } }
    /// Moves the time forward by `seconds`.
    public func advance(_ seconds: TimeInterval) { lock.withLock { current += seconds } }
}
