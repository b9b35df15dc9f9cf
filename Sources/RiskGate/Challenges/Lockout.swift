import Foundation

/// Counting failed authentication attempts of any factor (password, OTP, KBA, partial secret) into
/// lockouts, and lockouts into bans (SPEC §5 `lockout:`).
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
        /// Failures in the window after this one (0 when this failure caused a lockout, which clears the list).
        public var failures: Int
        /// This failure locked the account.
        public var lockedNow: Bool
        /// This failure's lockout banned the account.
        public var bannedNow: Bool
        public var lockedUntil: Date?
    }

    /// Records one failed attempt at `now`.
    ///
    /// Failures older than the window are forgotten; reaching the threshold locks the account for the
    /// duration, counts a lockout and clears the failure list; the `bansAfter`-th lockout bans.
    /// Failures reported while already locked still count, so an attack that keeps going during a
    /// lockout earns the next lockout (and eventually the ban) instead of being free.
    @discardableResult
    public static func recordFailure(_ state: inout UserState, settings: Settings, now: Date) -> Change {
        prune(&state, settings: settings, now: now)
        state.failures.append(now)
        guard settings.threshold > 0, state.failures.count >= settings.threshold else {
            return Change(failures: state.failures.count, lockedNow: false, bannedNow: false, lockedUntil: state.lockedUntil)
        }
        state.failures.removeAll()
        state.lockedUntil = now.addingTimeInterval(settings.duration)
        state.lockouts += 1
        var bannedNow = false
        if settings.bansAfter > 0, state.lockouts >= settings.bansAfter, !state.banned {
            state.banned = true
            bannedNow = true
        }
        return Change(failures: 0, lockedNow: true, bannedNow: bannedNow, lockedUntil: state.lockedUntil)
    }

    /// Records a failure using a policy's settings.
    @discardableResult
    public static func recordFailure(_ state: inout UserState, settings: PolicySettings, now: Date) -> Change {
        recordFailure(&state, settings: Settings(settings), now: now)
    }

    /// The account's lock and ban state at `now`.
    public static func status(_ state: UserState, now: Date) -> Status {
        let until = state.lockedUntil.flatMap { $0 > now ? $0 : nil }
        return Status(locked: until != nil, banned: state.banned, until: until)
    }

    /// Failures within the window at `now` (the `account.failures` signal).
    public static func failures(_ state: UserState, window: Double, now: Date) -> Int {
        let start = now.addingTimeInterval(-window)
        return state.failures.reduce(0) { $0 + ($1 > start && $1 <= now ? 1 : 0) }
    }

    /// Drops failures outside the window and an expired lockout.
    public static func prune(_ state: inout UserState, settings: Settings, now: Date) {
        let start = now.addingTimeInterval(-settings.window)
        if state.failures.contains(where: { $0 <= start }) {
            state.failures.removeAll { $0 <= start }
        }
        if let until = state.lockedUntil, until <= now { state.lockedUntil = nil }
    }

    /// An administrator's clear: ends any lockout, forgets failures and the lockout count,
    /// and with `unban` lifts a ban too.
    public static func clear(_ state: inout UserState, unban: Bool) {
        state.lockedUntil = nil
        state.failures.removeAll()
        state.lockouts = 0
        if unban { state.banned = false }
    }
}
