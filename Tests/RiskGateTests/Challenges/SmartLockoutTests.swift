import Foundation
import Testing
@testable import RiskGate

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
}
