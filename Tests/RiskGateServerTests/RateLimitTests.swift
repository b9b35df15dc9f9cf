import Foundation
import HTTPTypes
import HummingbirdTesting
import RiskGateServer
import Testing

@Suite("rate limits")
struct RateLimitTests {
    static let body = #"{"user": "u-1", "device": {"id": "d-1"}}"#

    /// A harness with only the given limits on, driven by `clock`.
    static func harness(_ clock: ManualClock, perKey: RateLimit? = nil, perAddress: RateLimit? = nil,
                        authFailures: RateLimit? = nil, trustedProxies: Set<String> = []) throws -> Harness {
        try Harness(configuration: .init(
            port: 0,
            rateLimits: RateLimits(perKey: perKey, perAddress: perAddress, authFailuresPerAddress: authFailures, clock: clock.now),
            trustedProxies: trustedProxies))
    }

    static func expectRateLimited(_ response: TestResponse, retryAfter: String,
                                  sourceLocation: SourceLocation = #_sourceLocation) {
        expectError(response, .tooManyRequests, code: "rate_limited", sourceLocation: sourceLocation)
        #expect(response.headers[.retryAfter] == retryAfter, sourceLocation: sourceLocation)
    }

    @Test func perKeyBurstThen429ThenRefill() async throws {
        let clock = ManualClock()
        let h = try Self.harness(clock, perKey: RateLimit(perSecond: 1, burst: 3))
        try await h.app.test(.router) { client in
            for _ in 0..<3 {
                let ok = try await client.send(.post, "/v1/decisions", key: TestKeys.decide, body: Self.body)
                #expect(ok.status == .ok)
            }
            let refused = try await client.send(.post, "/v1/decisions", key: TestKeys.decide, body: Self.body)
            Self.expectRateLimited(refused, retryAfter: "1")
            #expect(refused.json["error"] != nil)
            // Another key has its own bucket.
            let other = try await client.send(.post, "/v1/decisions", key: TestKeys.all, body: Self.body)
            #expect(other.status == .ok)
            clock.advance(by: 0.5)
            Self.expectRateLimited(try await client.send(.post, "/v1/decisions", key: TestKeys.decide, body: Self.body),
                                   retryAfter: "1")
            clock.advance(by: 0.5)
            do { let actual = try await client.send(.post, "/v1/decisions", key: TestKeys.decide, body: Self.body).status; #expect(actual == .ok) }
            Self.expectRateLimited(try await client.send(.post, "/v1/decisions", key: TestKeys.decide, body: Self.body),
                                   retryAfter: "1")
        }
        // Refused requests never reach the engine.
        #expect(await h.backend.decisions.count == 5)
    }

    /// `Retry-After` is whole seconds: the time until one token is back, rounded up.
    @Test func retryAfterIsWholeSecondsRoundedUp() async throws {
        let clock = ManualClock()
        let h = try Self.harness(clock, perKey: RateLimit(perSecond: 0.25, burst: 1))
        try await h.app.test(.router) { client in
            do { let actual = try await client.send(.get, "/v1/policy", key: TestKeys.admin).status; #expect(actual == .ok) }
            Self.expectRateLimited(try await client.send(.get, "/v1/policy", key: TestKeys.admin), retryAfter: "4")
            clock.advance(by: 2.5)
            Self.expectRateLimited(try await client.send(.get, "/v1/policy", key: TestKeys.admin), retryAfter: "2")
        }
    }

    /// Every request from one address counts, whatever its key (or none), except health checks.
    @Test func perAddressLimitsEveryRequestFromOneAddress() async throws {
        let clock = ManualClock()
        let h = try Self.harness(clock, perAddress: RateLimit(perSecond: 2, burst: 2))
        try await h.app.test(.router) { client in
            #expect(try await client.send(.get, "/metrics").status == .unauthorized)
            #expect(try await client.send(.post, "/v1/decisions", key: TestKeys.decide, body: Self.body).status == .ok)
            Self.expectRateLimited(try await client.send(.post, "/v1/decisions", key: TestKeys.all, body: Self.body),
                                   retryAfter: "1")
            Self.expectRateLimited(try await client.send(.get, "/metrics", key: TestKeys.metrics), retryAfter: "1")
            // A load balancer's health check is never refused.
            for _ in 0..<5 { #expect(try await client.send(.get, "/healthz").status == .ok) }
            clock.advance(by: 0.5)
            #expect(try await client.send(.get, "/metrics", key: TestKeys.metrics).status == .ok)
        }
    }

    /// Addresses have their own buckets; `X-Forwarded-For` counts only from a trusted proxy.
    @Test func addressesAreIndependentAndForwardedForNeedsATrustedProxy() async throws {
        let clock = ManualClock()
        for trusted in [true, false] {
            let h = try Self.harness(clock, perAddress: RateLimit(perSecond: 1, burst: 1),
                                     trustedProxies: trusted ? ["127.0.0.1"] : [])
            try await h.app.test(.live) { client in
                func health(_ forwarded: String) async throws -> HTTPResponse.Status {
                    try await client.send(.get, "/v1/policy", key: TestKeys.admin,
                                          headers: [HTTPField.Name("X-Forwarded-For")!: forwarded]).status
                }
                // Untrusted, every request is 127.0.0.1's and the first one takes its only token.
                do { let actual = try await health("198.51.100.1"); #expect(actual == .ok) }
                // The client's own entries come first; the proxy's (last) one is the address.
                do { let actual = try await health("203.0.113.9, 198.51.100.2"); #expect(actual == (trusted ? .ok : .tooManyRequests)) }
                do { let actual = try await health("198.51.100.1"); #expect(actual == .tooManyRequests) }
                do { let actual = try await health("198.51.100.3"); #expect(actual == (trusted ? .ok : .tooManyRequests)) }
                do { let actual = try await health("not an address, 198.51.100.4"); #expect(actual == (trusted ? .ok : .tooManyRequests)) }
            }
        }
    }

    /// Wrong keys spend the address's failed authentications; once they are used up, requests
    /// with a key are refused before the key is looked at, so guessing goes no faster than the limit.
    @Test func failedAuthenticationsSlowKeyGuessing() async throws {
        let clock = ManualClock()
        let h = try Self.harness(clock, authFailures: RateLimit(perSecond: 1, burst: 2))
        try await h.app.test(.router) { client in
            for guess in ["guess-0000000000000001", "guess-0000000000000002"] {
                expectError(try await client.send(.post, "/v1/decisions", key: guess, body: Self.body), .unauthorized,
                            code: "unauthorized")
            }
            Self.expectRateLimited(try await client.send(.post, "/v1/decisions", key: "guess-0000000000000003", body: Self.body),
                                   retryAfter: "1")
            // Even the right key waits: a correct guess must not stand out.
            Self.expectRateLimited(try await client.send(.post, "/v1/decisions", key: TestKeys.decide, body: Self.body),
                                   retryAfter: "1")
            // Requests without a key are not guesses.
            do { let actual = try await client.send(.get, "/healthz").status; #expect(actual == .ok) }
            clock.advance(by: 1)
            do { let actual = try await client.send(.post, "/v1/decisions", key: TestKeys.decide, body: Self.body).status; #expect(actual == .ok) }
        }
    }

    @Test func defaultsAreOnAndParse() throws {
        let limits = RateLimits()
        #expect(limits.perKey == RateLimit(perSecond: 20_000, burst: 40_000))
        #expect(limits.perAddress == RateLimit(perSecond: 40_000, burst: 80_000))
        #expect(limits.authFailuresPerAddress == RateLimit(perSecond: 10, burst: 100))
        #expect(RateLimit(parsing: "50/s") == RateLimit(perSecond: 50, burst: 100))
        #expect(RateLimit(parsing: "0.5/s:3") == RateLimit(perSecond: 0.5, burst: 3))
        #expect(RateLimit(parsing: "10000/s:20000")?.description == "10000/s:20000")
        for bad in ["", "50", "50/m", "0/s", "-1/s", "5/s:0", "5/s:x", "5/s:1:2", "inf/s", "nan/s"] {
            #expect(RateLimit(parsing: bad) == nil, "\(bad)")
        }
    }

    /// A flood of distinct clients cannot grow a table past its capacity.
    @Test func bucketTableStaysBounded() {
        let table = TokenBucketTable(limit: RateLimit(perSecond: 1, burst: 5), capacity: 1_000)
        for i in 0..<50_000 {
            // Half of them drained, so the sweep cannot simply drop full buckets.
            let client = "10.\(i >> 16).\((i >> 8) & 255).\(i & 255)"
            _ = table.take(client, now: 0)
            if i % 2 == 0 { for _ in 0..<5 { _ = table.take(client, now: 0) } }
        }
        #expect(table.count <= 1_000)
        #expect(table.count > 0)
        // Buckets that have refilled are the ones forgotten; a drained client keeps its debt.
        let table2 = TokenBucketTable(limit: RateLimit(perSecond: 1, burst: 5), capacity: 64, shardCount: 1)
        for _ in 0..<5 { _ = table2.take("drained", now: 0) }
        for i in 0..<63 { _ = table2.take("idle-\(i)", now: 0) }
        #expect(table2.count == 64)
        #expect(table2.take("new", now: 2) == nil)
        #expect(table2.count == 2)
        #expect(table2.take("drained", now: 2) == nil)
        #expect(table2.take("drained", now: 2) == nil)
        #expect(table2.take("drained", now: 2) == 1)
    }
}
