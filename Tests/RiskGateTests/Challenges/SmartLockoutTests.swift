import Foundation
import Testing
@testable import RiskGate
@testable import RiskGateEngine
@testable import RiskGatePolicy

/// Lockout as an attacker's weapon, through the engine: before, fifteen failures from one unknown
/// address in 30 ms banned the account for good.
@Suite struct SmartLockoutTests {
    /// Reads `account.failures` and `account.locked`, so explanations show them; bans after 2 familiar lockouts.
    static func policy() throws -> CompiledPolicy {
        let source = """
        riskgate: 1
        policy: smart-lockout
        score:
          rules:
            - { id: failures, when: account.failures >= 1, points: 5 }
        decide:
          - { id: banned, when: account.banned, outcome: deny }
          - { id: locked, when: account.locked, outcome: deny }
          - { id: default, outcome: passive }
        lockout: { threshold: 5, window: 15m, duration: 30m, bans_after: 2 }
        """
        let result = PolicyCompiler.compile(source: source, file: "smart-lockout.yaml", baseDirectory: nil)
        return try #require(result.policy, "policy does not compile: \(result.diagnostics)")
    }

    static func attempt(_ engine: DecisionEngine, _ time: String, ip: String, device: String, result: String) throws -> Decision {
        try engine.decide(DecisionEngineTests.request("u-7", time, ip: ip, country: "DE", lat: 52.5, lon: 13.4,
                                                      device: device, result: result), explain: true)
    }

    @Test func fiftyFailuresFromAnUnknownAddressNeitherLockTheUsersOwnDeviceNorBan() throws {
        let clock = ManualClock(Timestamp.parse("2026-11-20T12:00:00Z")!)
        let store = MemoryStateStore()
        let engine = try DecisionEngine(policy: Self.policy(), store: store, clock: clock)
        // The user's own laptop and home network, learned from an accepted login.
        #expect(try Self.attempt(engine, "2026-11-20T08:00:00Z", ip: "81.2.69.1", device: "laptop", result: "success").outcome == .passive)
        // The flood: 50 failures within a second from an address and device the account never used.
        for i in 0..<50 {
            _ = try Self.attempt(engine, "2026-11-20T11:59:\(String(format: "%02d", i % 60)).\(i)Z", ip: "198.51.100.23",
                                 device: "attacker-\(i)", result: "failure")
        }
        let state = try #require(try store.loadUser("u-7"))
        #expect(!state.banned)
        #expect(state.lockouts == 1, "failures while locked counted: \(state.lockouts) lockouts")
        // The attacker's context is locked...
        #expect(try Self.attempt(engine, "2026-11-20T12:00:00Z", ip: "198.51.100.23", device: "attacker-x", result: "success").outcome == .deny)
        // ...the user on their own device is not, and sees no failures of theirs.
        let own = try Self.attempt(engine, "2026-11-20T12:00:00Z", ip: "81.2.69.1", device: "laptop", result: "success")
        #expect(own.outcome != .deny)
        #expect(own.explanation?.signals["account.failures"] == .number(0))
        #expect(own.explanation?.signals["account.locked"] == .bool(false))
        // A new address but the known device is familiar too (a laptop on a hotel network).
        let travelling = try Self.attempt(engine, "2026-11-20T12:00:00Z", ip: "203.0.113.80", device: "laptop", result: "success")
        #expect(travelling.outcome != .deny)
        let after = try #require(try store.loadUser("u-7"))
        #expect(!after.banned)
    }

    /// Password spraying: one failure on each of many accounts from one network stays under every
    /// account's threshold; the network's count does not.
    @Test func sprayingFromOneNetworkIsVisibleAndThrottled() throws {
        let source = """
        riskgate: 1
        policy: spray
        score:
          rules:
            - { id: spray, when: ip.network_failures >= 10, points: 50 }
        decide:
          - { id: locked, when: account.locked, outcome: deny }
          - { id: high, when: score >= 50, outcome: otp }
          - { id: default, outcome: passive }
        lockout: { threshold: 5, window: 15m, duration: 30m, network_threshold: 30 }
        """
        let compiled = PolicyCompiler.compile(source: source, file: "spray.yaml", baseDirectory: nil)
        let policy = try #require(compiled.policy, "\(compiled.diagnostics)")
        let engine = try DecisionEngine(policy: policy, store: MemoryStateStore(),
                                        clock: ManualClock(Timestamp.parse("2026-11-20T12:00:00Z")!))
        func request(_ user: String, ip: String, device: String, result: String) -> RequestContext {
            DecisionEngineTests.request(user, "2026-11-20T11:59:00Z", ip: ip, country: "DE", lat: 52.5, lon: 13.4,
                                        device: device, result: result)
        }
        // A user at home on 198.51.100.0/24 before the spray starts.
        #expect(try engine.decide(request("home", ip: "198.51.100.7", device: "home-pc", result: "success")).outcome == .passive)
        for i in 0..<9 {
            _ = try engine.decide(request("victim-\(i)", ip: "198.51.100.\(i % 250 + 1)", device: "spray", result: "failure"))
        }
        let below = try engine.decide(request("other", ip: "198.51.100.99", device: "x", result: "success"), explain: true)
        #expect(below.explanation?.signals["ip.network_failures"] == .number(9))
        #expect(below.outcome == .passive)
        _ = try engine.decide(request("victim-9", ip: "198.51.100.200", device: "spray", result: "failure"))
        #expect(try engine.decide(request("other-2", ip: "198.51.100.98", device: "x", result: "success")).rule == "high")
        // Another network is unaffected.
        let elsewhere = try engine.decide(request("other-3", ip: "203.0.113.9", device: "x", result: "success"), explain: true)
        #expect(elsewhere.explanation?.signals["ip.network_failures"] == .number(0))
        for i in 10..<30 {
            _ = try engine.decide(request("victim-\(i)", ip: "198.51.100.\(i)", device: "spray", result: "failure"))
        }
        // Over the network threshold: unfamiliar requests from it are denied...
        let throttled = try engine.decide(request("new-user", ip: "198.51.100.77", device: "y", result: "success"))
        #expect(throttled.outcome == .deny)
        #expect(throttled.rule == "ip.network_throttled")
        // ...the user at home is familiar and still gets in (stepped up by the policy's own rule).
        #expect(try engine.decide(request("home", ip: "198.51.100.7", device: "home-pc", result: "success")).outcome != .deny)
    }

    @Test func theNetworkTrackerIsBoundedAndForgetsOldFailures() {
        let tracker = NetworkFailureTracker()
        let now = Date(timeIntervalSince1970: 1_790_000_000)
        let ip = IPAddress("2001:db8:1:2::5")!
        tracker.record(ip, now: now, window: 60)
        tracker.record(IPAddress("2001:db8:1:2:ffff::1")!, now: now, window: 60)
        tracker.record(IPAddress("2001:db8:1:3::1")!, now: now, window: 60)
        #expect(tracker.count(ip, now: now, window: 60) == 2)  // one /64
        #expect(tracker.count(ip, now: now + 61, window: 60) == 0)
        for i in 0..<(NetworkFailureTracker.maxNetworks + 10) {
            tracker.record(IPAddress(v4: UInt32(i) << 8), now: now + 120, window: 60)
        }
        #expect(tracker.networkCount <= NetworkFailureTracker.maxNetworks)
    }
}
