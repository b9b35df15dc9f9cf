import Foundation
import RiskGateEngine

/// When to try a failed delivery again: exponential backoff with jitter.
///
/// After the `n`-th failure the wait is drawn uniformly from the upper half of
/// `min(maximum, base × 2^(n-1))` ("equal jitter"): it keeps growing, and receivers that failed
/// together (an outage) are not all retried in the same second.
public struct RetrySchedule: Sendable, Hashable {
    /// The wait after the first failure, before jitter.
    public var base: Duration
    /// The longest wait.
    public var maximum: Duration

    public init(base: Duration = .seconds(2), maximum: Duration = .seconds(600)) {
        self.base = base; self.maximum = maximum
    }

    /// The wait after failure number `failures` (1 for the first), drawn with `random`.
    public func delay(afterFailures failures: Int, random: any RandomSource) -> Duration {
        let baseSeconds = base.seconds, maximumSeconds = max(maximum.seconds, 0)
        let exponent = Double(min(max(failures, 1) - 1, 60))
        let full = min(maximumSeconds, baseSeconds * pow(2, exponent))
        // Millisecond steps of jitter: plenty for waits of a second or more.
        let steps = Int(full * 500)
        let jitter = steps > 0 ? Double(random.uniform(steps + 1)) / 1000 : 0
        return .milliseconds(Int64(((full / 2 + jitter) * 1000).rounded()))
    }
}

extension Duration {
    /// The duration in seconds, as a `Double`.
    var seconds: Double {
        let (whole, attoseconds) = components
        return Double(whole) + Double(attoseconds) / 1e18
    }
}
