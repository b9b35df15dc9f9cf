/// The thresholds signals use, from a policy's `settings:` and `lockout:` sections.
///
/// Durations are in seconds.
public struct PolicySettings: Sendable, Hashable {
    /// Above this speed between two logins, `geo.impossible_travel` is true.
    public var impossibleTravelKmh: Double = 900
    /// How far back history counts for `ip.known`, `geo.new_country`, `history.logins`.
    public var historyWindow: Double = 90 * 86_400
    /// Most logins kept per user.
    public var historyMaxLogins: Int = 100
    /// Accepted samples before a typing template is `typing.enrolled`.
    public var typingMinEnrollment: Int = 10
    /// Failures in this window count toward a lockout (`lockout.window`).
    public var lockoutWindow: Double = 15 * 60
    /// Failures in the window that lock the account (`lockout.threshold`).
    public var lockoutThreshold: Int = 5
    /// How long a lockout lasts (`lockout.duration`).
    public var lockoutDuration: Double = 30 * 60
    /// Lockouts before a ban (`lockout.bans_after`); 0 disables bans.
    public var bansAfter: Int = 3
    /// Failures from one network (/24, /64) across all accounts within the window at which
    /// unfamiliar requests from that network are denied (`lockout.network_threshold`); 0 disables it.
    public var networkThreshold: Int = 100

    public init() {}
}
