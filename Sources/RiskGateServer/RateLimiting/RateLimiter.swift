/// Applies ``RateLimits`` to requests: one table of buckets per limit.
final class RateLimiter: Sendable {
    let perKey: TokenBucketTable?
    let perAddress: TokenBucketTable?
    let authFailures: TokenBucketTable?
    let clock: @Sendable () -> Double

    init(_ limits: RateLimits) {
        perKey = limits.perKey.map { TokenBucketTable(limit: $0, capacity: limits.maxTrackedClients) }
        perAddress = limits.perAddress.map { TokenBucketTable(limit: $0, capacity: limits.maxTrackedClients) }
        authFailures = limits.authFailuresPerAddress.map { TokenBucketTable(limit: $0, capacity: limits.maxTrackedClients) }
        clock = limits.clock
    }

    /// Why a request was refused, and for how long.
    struct Refusal: Error {
        var reason: Reason
        var retryAfter: Int
        enum Reason: String { case address, key, authFailures = "auth_failures" }

        var apiError: APIError {
            let message = switch reason {
            case .address: "too many requests from this address"
            case .key: "too many requests with this API key"
            case .authFailures: "too many failed authentications from this address"
            }
            return APIError(.tooManyRequests, code: "rate_limited", message: message,
                            headers: [.retryAfter: String(retryAfter)])
        }
    }
}
