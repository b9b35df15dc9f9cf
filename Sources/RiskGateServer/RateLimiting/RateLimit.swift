import Foundation

/// A token-bucket limit: `perSecond` requests sustained, up to `burst` at once.
public struct RateLimit: Sendable, Hashable, CustomStringConvertible {
    /// Tokens added each second.
    public var perSecond: Double
    /// Most tokens a bucket holds: the requests a client idle for a while may send at once.
    public var burst: Double

    public init(perSecond: Double, burst: Double) {
        precondition(perSecond > 0 && burst >= 1, "a rate limit needs a positive rate and a burst of at least 1")
        self.perSecond = perSecond
        self.burst = burst
    }

    /// Parses `N/s` (burst twice the rate) or `N/s:BURST`, e.g. `200/s:1000`; nil when malformed.
    public init?(parsing text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count <= 2, parts[0].hasSuffix("/s"), let rate = Double(parts[0].dropLast(2)),
            rate.isFinite, rate > 0, rate <= 1e9
        else { return nil }
        var burst = max(1, (2 * rate).rounded(.up))
        if parts.count == 2 {
            guard let b = Double(parts[1]), b.isFinite, b >= 1, b <= 1e9 else { return nil }
            burst = b
        }
        self.init(perSecond: rate, burst: burst)
    }

    /// The flag form, `N/s:BURST`.
    public var description: String { "\(Self.number(perSecond))/s:\(Self.number(burst))" }

    private static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}

/// The service's rate limits (docs/http-api.md, "Rate limits"); a nil limit is off.
public struct RateLimits: Sendable {
    /// Requests carrying one API key.
    public var perKey: RateLimit?
    /// All requests from one client address.
    public var perAddress: RateLimit?
    /// Failed authentications (401) from one client address; when its bucket is empty, requests
    /// from that address that carry a key are refused before the key is looked at.
    public var authFailuresPerAddress: RateLimit?
    /// Most buckets each table keeps (see ``TokenBucketTable``).
    public var maxTrackedClients: Int
    /// Seconds on a monotonic clock; injected by tests.
    public var clock: @Sendable () -> Double

    /// Generous defaults, on: per key and per address about twice what a 2-core server answers at
    /// all (~9,000 decisions/s on in-memory state, from one address with one key in the load
    /// test), so they never cut a deployment's normal traffic and only stop one runaway client on
    /// a larger machine; low for failed keys, which a well-configured client never sends.
    public static let defaultPerKey = RateLimit(perSecond: 20_000, burst: 40_000)
    public static let defaultPerAddress = RateLimit(perSecond: 40_000, burst: 80_000)
    public static let defaultAuthFailuresPerAddress = RateLimit(perSecond: 10, burst: 100)

    public init(perKey: RateLimit? = defaultPerKey, perAddress: RateLimit? = defaultPerAddress,
                authFailuresPerAddress: RateLimit? = defaultAuthFailuresPerAddress,
                maxTrackedClients: Int = 100_000, clock: @escaping @Sendable () -> Double = RateLimits.monotonicSeconds) {
        self.perKey = perKey; self.perAddress = perAddress; self.authFailuresPerAddress = authFailuresPerAddress
        self.maxTrackedClients = maxTrackedClients; self.clock = clock
    }

    /// Every limit off.
    public static let off = RateLimits(perKey: nil, perAddress: nil, authFailuresPerAddress: nil)

    /// Seconds since an arbitrary start, never going backwards (the wall clock may).
    public static let monotonicSeconds: @Sendable () -> Double = {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
