import Foundation
import RiskGatePolicy

/// Failed attempts per source network (/24 for IPv4, /64 for IPv6) across all accounts, within a
/// sliding window: the `ip.network_failures` signal and the engine's network throttle.
///
/// Per-account lockout does not see password spraying: one network trying one password on many
/// accounts stays below every account's threshold. This counts what the network did.
///
/// In memory, per process: a replica counts the failures it saw, and a restart forgets them (a
/// throttle, not a record). Bounded: at most ``maxNetworks`` networks and ``maxPerNetwork``
/// failures each (the count then saturates), so a flood from many networks cannot grow it without
/// limit.
public final class NetworkFailureTracker: @unchecked Sendable {
    public static let maxNetworks = 100_000
    public static let maxPerNetwork = 10_000

    private let lock = NSLock()
    /// Failure times (seconds since 1970) per network, oldest first.
    private var failures: [IPAddress: [Double]] = [:]

    public init() {}

    /// The network an address belongs to for counting.
    public static func network(of ip: IPAddress) -> IPAddress { ip.masked(to: ip.isV4 ? 24 : 64) }

    /// Failures from `ip`'s network in the `window` seconds up to `now`.
    public func count(_ ip: IPAddress, now: Date, window: Double) -> Int {
        let end = now.timeIntervalSince1970
        let start = end - window
        return lock.withLock {
            guard let times = failures[Self.network(of: ip)] else { return 0 }
            var n = 0
            for t in times where t > start && t <= end { n += 1 }
            return n
        }
    }

    /// Records a failure from `ip` at `now`, forgetting that network's failures older than `window`.
    public func record(_ ip: IPAddress, now: Date, window: Double) {
        let t = now.timeIntervalSince1970
        let key = Self.network(of: ip)
        lock.withLock {
            var times = failures.removeValue(forKey: key) ?? []
            if let first = times.first, first <= t - window { times.removeAll { $0 <= t - window } }
            if times.count >= Self.maxPerNetwork { times.removeFirst() }
            // Kept in time order even when events arrive out of order (replay of a past sequence).
            var i = times.count
            while i > 0 && times[i - 1] > t { i -= 1 }
            times.insert(t, at: i)
            if failures.count >= Self.maxNetworks { evict(before: t - window) }
            failures[key] = times
        }
    }

    /// Networks with failures on record.
    public var networkCount: Int { lock.withLock { failures.count } }

    /// Drops networks whose newest failure is older than `cutoff`; when none is, an arbitrary tenth.
    /// Caller holds the lock.
    private func evict(before cutoff: Double) {
        let stale = failures.filter { ($0.value.last ?? -.infinity) <= cutoff }.map(\.key)
        if !stale.isEmpty {
            for key in stale { failures[key] = nil }
            return
        }
        for key in Array(failures.keys.prefix(max(1, failures.count / 10))) { failures[key] = nil }
    }
}
