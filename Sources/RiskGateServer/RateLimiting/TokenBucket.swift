/// One client's allowance: up to `burst` requests at once, refilled at `rate` a second.
///
/// A plain value updated in place under its table's lock; time is passed in (seconds on a
/// monotonic clock), so tests drive it without sleeping.
struct TokenBucket: Sendable {
    private(set) var tokens: Double
    private(set) var updated: Double

    /// A full bucket, as a client never seen before gets.
    init(limit: RateLimit, now: Double) {
        tokens = limit.burst
        updated = now
    }

    /// Adds the tokens earned since the last update, up to the burst.
    mutating func refill(_ limit: RateLimit, now: Double) {
        // A clock that went backwards (it should not: it is monotonic) earns nothing.
        if now > updated {
            tokens = min(limit.burst, tokens + (now - updated) * limit.perSecond)
            updated = now
        }
    }

    /// Takes one token; nil when allowed, otherwise the whole seconds (at least 1) until one is there.
    mutating func take(_ limit: RateLimit, now: Double) -> Int? {
        refill(limit, now: now)
        if tokens >= 1 {
            tokens -= 1
            return nil
        }
        return Self.retryAfter(tokens: tokens, limit: limit)
    }

    /// Whether a token is there, without taking it; nil when yes, otherwise the seconds to wait.
    mutating func check(_ limit: RateLimit, now: Double) -> Int? {
        refill(limit, now: now)
        return tokens >= 1 ? nil : Self.retryAfter(tokens: tokens, limit: limit)
    }

    /// Whether the bucket has refilled to its burst by `now`: such a bucket is the same as a new
    /// one, so the table can forget it.
    func isFull(_ limit: RateLimit, now: Double) -> Bool {
        tokens + max(0, now - updated) * limit.perSecond >= limit.burst
    }

    private static func retryAfter(tokens: Double, limit: RateLimit) -> Int {
        let seconds = ((1 - tokens) / limit.perSecond).rounded(.up)
        // `Retry-After` is whole seconds; 0 would invite an immediate retry that fails again.
        return Int(max(1, min(seconds, 86_400)))
    }
}
