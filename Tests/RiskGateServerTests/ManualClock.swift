import Foundation

/// A clock for rate-limit tests: it stands still until the test moves it, so no test sleeps.
final class ManualClock: @unchecked Sendable {
    private let lock = NSLock()
    private var seconds: Double = 1_000

    var now: @Sendable () -> Double { { [self] in lock.withLock { seconds } } }

    func advance(by delta: Double) { lock.withLock { seconds += delta } }
}
