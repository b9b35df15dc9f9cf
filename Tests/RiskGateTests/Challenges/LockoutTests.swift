import Foundation
import Testing
@testable import RiskGate
@testable import RiskGateEngine
@testable import RiskGatePolicy

@Suite struct LockoutTests {
    let start = Date(timeIntervalSince1970: 1_790_000_000)

    @Test func thresholdLocksForDurationAndClearsFailures() {
        var state = UserState()
        var settings = PolicySettings()
        settings.lockoutThreshold = 3
        for i in 0..<2 {
            let change = Lockout.recordFailure(&state, settings: settings, familiar: false, now: start + Double(i))
            #expect(!change.lockedNow)
        }
        let change = Lockout.recordFailure(&state, settings: settings, familiar: false, now: start + 2)
        #expect(change.lockedNow)
        #expect(state.failures.isEmpty)
        #expect(state.lockouts == 1)
        #expect(Lockout.status(state, familiar: false, now: start + 3).locked)
        #expect(Lockout.status(state, familiar: false, now: start + 3).until == start + 2 + settings.lockoutDuration)
        #expect(!Lockout.status(state, familiar: false, now: start + 2 + settings.lockoutDuration).locked)
    }

    @Test func failuresOutsideTheWindowAreForgotten() {
        var state = UserState()
        let settings = PolicySettings()  // 5 in 15 minutes
        for i in 0..<4 { Lockout.recordFailure(&state, settings: settings, familiar: false, now: start + Double(i) * 60) }
        let later = start + 15 * 60 + 30  // the window now starts at 0:30, so only the failure at 0:00 is out
        let change = Lockout.recordFailure(&state, settings: settings, familiar: false, now: later)
        #expect(!change.lockedNow)
        #expect(change.failures == 4)  // the first one fell out of the window
        #expect(Lockout.failures(state, familiar: false, window: settings.lockoutWindow, now: later) == 4)
    }

    /// Familiar-context lockouts count toward the ban.
    @Test func bansAfterConfiguredLockoutsAndOnlyAdminUnbans() {
        var state = UserState()
        let settings = PolicySettings()  // bans_after 3
        var now = start
        for lockout in 1...3 {
            for _ in 0..<5 {
                Lockout.recordFailure(&state, settings: settings, familiar: true, now: now)
                now += 1
            }
            #expect(state.lockouts == lockout)
            #expect(state.banned == (lockout == 3))
            now += settings.lockoutDuration + 1
        }
        #expect(Lockout.status(state, familiar: false, now: now + 86_400 * 365).banned)
        Lockout.clear(&state, unban: false)
        #expect(state.banned)
        #expect(state.lockouts == 0)
        Lockout.clear(&state, unban: true)
        #expect(!Lockout.status(state, familiar: false, now: now).banned)
    }

    @Test func passwordAndChallengeFailuresCountTogether() throws {
        var f = ChallengeFixture()
        f.settings.lockoutThreshold = 5
        try f.enroll()
        // Three password failures reported with requests...
        var user = try #require(try f.store.loadUser("u-1"))
        for _ in 0..<3 { Lockout.recordFailure(&user, settings: f.settings, familiar: false, now: f.clock.now()) }
        try f.store.commit(StateChange(users: ["u-1": user]))
        // ...then a KBA-only challenge: one wrong answer is the 4th failure, the next the 5th.
        f.policy.fallbacks = [.init(conditionIndex: 0, replace: "otp", with: "kba")]
        let (made, _) = try f.issue(.otp, fallback: { _ in true })
        let id = try #require(made.challenge?.id)
        #expect(made.challenge?.stepNames == ["kba"])
        let first = try f.service.verify(challengeID: id, step: "kba", response: "wrong")
        #expect(first.result == .failed)
        let second = try f.service.verify(challengeID: id, step: "kba", response: "also wrong")
        #expect(second.result == .locked)
        #expect(second.reason == "account_locked")
        #expect(second.outcome == .deny)
        #expect(Lockout.status(try #require(try f.store.loadUser("u-1")), familiar: false, now: f.clock.now()).locked)
    }

    /// A flood while locked earned a lockout after every lockout, and with it the ban.
    @Test func failuresWhileLockedAreNotCounted() {
        var state = UserState()
        let settings = PolicySettings()  // 5 in 15 minutes, bans after 3
        for i in 0..<50 {
            Lockout.recordFailure(&state, settings: settings, familiar: true, now: start + Double(i) * 0.001)
        }
        #expect(state.lockouts == 1)
        #expect(!state.banned)
        #expect(state.familiarFailures.isEmpty)
        let change = Lockout.recordFailure(&state, settings: settings, familiar: true, now: start + 60)
        #expect(change.ignored)
    }

    /// Smart lockout: failures from unfamiliar contexts lock unfamiliar contexts only, and never ban.
    @Test func unfamiliarFailuresNeverLockTheFamiliarContextOrBan() {
        var state = UserState()
        let settings = PolicySettings()
        var now = start
        for _ in 0..<10 {
            for _ in 0..<50 {
                Lockout.recordFailure(&state, settings: settings, familiar: false, now: now)
                now += 0.5
            }
            now += settings.lockoutDuration + 1
        }
        #expect(state.lockouts == 10)
        #expect(!state.banned)
        Lockout.recordFailure(&state, settings: settings, familiar: false, now: now)
        for _ in 0..<4 { Lockout.recordFailure(&state, settings: settings, familiar: false, now: now) }
        #expect(Lockout.status(state, familiar: false, now: now).locked)
        #expect(!Lockout.status(state, familiar: true, now: now).locked)
        #expect(Lockout.failures(state, familiar: true, window: settings.lockoutWindow, now: now) == 0)
        // A familiar lock applies everywhere.
        for _ in 0..<5 { Lockout.recordFailure(&state, settings: settings, familiar: true, now: now) }
        #expect(Lockout.status(state, familiar: true, now: now).locked)
        #expect(Lockout.status(state, familiar: false, now: now).locked)
    }
}
