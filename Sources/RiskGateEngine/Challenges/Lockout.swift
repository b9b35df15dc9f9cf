import Foundation
import RiskGatePolicy

/// Counting failed authentication attempts of any factor (password, OTP, KBA, partial secret) into
/// lockouts, and lockouts into bans (docs/state.md `lockout:`).
///
/// All functions are pure over a ``UserState`` value; the caller commits the changed state.
public enum Lockout {
    /// The lockout parameters, a snapshot of the policy's `lockout:` section.
    public struct Settings: Sendable, Hashable, Codable {
        public var window: Double
        public var threshold: Int
        public var duration: Double
        public var bansAfter: Int
        public init(window: Double, threshold: Int, duration: Double, bansAfter: Int) {
            self.window = window; self.threshold = threshold; self.duration = duration; self.bansAfter = bansAfter
        }
        public init(_ settings: PolicySettings) {
            self.init(window: settings.lockoutWindow, threshold: settings.lockoutThreshold,
                      duration: settings.lockoutDuration, bansAfter: settings.bansAfter)
        }
        enum CodingKeys: String, CodingKey { case window, threshold, duration; case bansAfter = "bans_after" }
    }

    /// Whether an account may authenticate now.
    public struct Status: Sendable, Hashable {
        public var locked: Bool
        public var banned: Bool
        /// End of the current lockout, when locked.
        public var until: Date?
    }

    /// What one recorded failure did to the account.
    public struct Change: Sendable, Hashable {
        /// Failures of this failure's context in the window after it (0 when it caused a lockout,
        /// which clears the list, or when it was not counted because that context was locked).
        public var failures: Int
        /// This failure locked the account (for its context).
        public var lockedNow: Bool
        /// This failure's lockout banned the account.
        public var bannedNow: Bool
        public var lockedUntil: Date?
        /// The failure arrived while its context was already locked and was not counted.
        public var ignored: Bool = false
    }

    /// Whether a request comes from a context familiar to the account: a device it logged in
    /// from or an admin trusted, or an address in a network (/24, /64) of its recent logins.
    ///
    /// Failures are counted per context class (``recordFailure(_:settings:familiar:now:)``), so
    /// failures from elsewhere never lock the user out of their own device.
    public static func isFamiliar(deviceKnown: Bool, deviceTrusted: Bool, ipKnown: Bool) -> Bool {
        deviceKnown || deviceTrusted || ipKnown
    }

    /// Records one failed attempt at `now` from a familiar or an unfamiliar context.
    ///
    /// Each class has its own failure list and lock (smart lockout): reaching the threshold within
    /// the window locks that class for the duration and counts a lockout.
    /// - An unfamiliar lockout locks unfamiliar contexts only; it never leads to a ban, so an
    ///   attacker anywhere cannot turn the lockout against the user.
    /// - A familiar lockout locks every context, and the `bansAfter`-th familiar lockout bans.
    /// - A failure that arrives while its class is already locked is not counted: the attempt was
    ///   refused without checking anything, and counting it would let a flood earn lockout after
    ///   lockout.
    @discardableResult
    public static func recordFailure(_ state: inout UserState, settings: Settings, familiar: Bool, now: Date) -> Change {
        prune(&state, settings: settings, now: now)
        if let until = lockedUntil(state, familiar: familiar), until > now {
            return Change(failures: 0, lockedNow: false, bannedNow: false, lockedUntil: until, ignored: true)
        }
        var list = familiar ? state.familiarFailures : state.failures
        list.append(now)
        guard settings.threshold > 0, list.count >= settings.threshold else {
            if familiar { state.familiarFailures = list } else { state.failures = list }
            return Change(failures: list.count, lockedNow: false, bannedNow: false, lockedUntil: nil)
        }
        let until = now.addingTimeInterval(settings.duration)
        state.lockouts += 1
        var bannedNow = false
        if familiar {
            state.familiarFailures.removeAll()
            state.familiarLockedUntil = until
            state.familiarLockouts += 1
            if settings.bansAfter > 0, state.familiarLockouts >= settings.bansAfter, !state.banned {
                state.banned = true
                bannedNow = true
            }
        } else {
            state.failures.removeAll()
            state.lockedUntil = until
        }
        return Change(failures: 0, lockedNow: true, bannedNow: bannedNow, lockedUntil: until)
    }

    /// Records a failure using a policy's settings.
    @discardableResult
    public static func recordFailure(_ state: inout UserState, settings: PolicySettings, familiar: Bool, now: Date) -> Change {
        recordFailure(&state, settings: Settings(settings), familiar: familiar, now: now)
    }

    /// The lock that applies to a context: a familiar lock locks everything, an unfamiliar lock
    /// only unfamiliar contexts; the later end when both apply.
    static func lockedUntil(_ state: UserState, familiar: Bool) -> Date? {
        if familiar { return state.familiarLockedUntil }
        switch (state.lockedUntil, state.familiarLockedUntil) {
        case let (a?, b?): return max(a, b)
        case let (a, b): return a ?? b
        }
    }

    /// The account's lock and ban state at `now` for a request from a familiar or unfamiliar context.
    public static func status(_ state: UserState, familiar: Bool, now: Date) -> Status {
        let until = lockedUntil(state, familiar: familiar).flatMap { $0 > now ? $0 : nil }
        return Status(locked: until != nil, banned: state.banned, until: until)
    }

    /// Failures within the window at `now` that count against a context (the `account.failures`
    /// signal): a familiar context sees its own class's; an unfamiliar one sees both.
    public static func failures(_ state: UserState, familiar: Bool, window: Double, now: Date) -> Int {
        let start = now.timeIntervalSince1970 - window
        let end = now.timeIntervalSince1970
        func count(_ list: [Date]) -> Int {
            var n = 0
            for failure in list {
                let t = failure.timeIntervalSince1970
                if t > start && t <= end { n += 1 }
            }
            return n
        }
        return familiar ? count(state.familiarFailures) : count(state.failures) + count(state.familiarFailures)
    }

    /// Drops failures outside the window and expired lockouts.
    public static func prune(_ state: inout UserState, settings: Settings, now: Date) {
        let start = now.addingTimeInterval(-settings.window)
        if state.failures.contains(where: { $0 <= start }) {
            state.failures.removeAll { $0 <= start }
        }
        if state.familiarFailures.contains(where: { $0 <= start }) {
            state.familiarFailures.removeAll { $0 <= start }
        }
        if let until = state.lockedUntil, until <= now { state.lockedUntil = nil }
        if let until = state.familiarLockedUntil, until <= now { state.familiarLockedUntil = nil }
    }

    /// An administrator's clear: ends any lockout, forgets failures and the lockout count,
    /// and with `unban` lifts a ban too.
    public static func clear(_ state: inout UserState, unban: Bool) {
        state.lockedUntil = nil
        state.familiarLockedUntil = nil
        state.failures.removeAll()
        state.familiarFailures.removeAll()
        state.lockouts = 0
        state.familiarLockouts = 0
        if unban { state.banned = false }
    }
}
