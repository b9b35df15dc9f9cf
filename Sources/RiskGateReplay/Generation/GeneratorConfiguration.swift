import Foundation

/// What `riskgate generate` should produce.
public struct GeneratorConfiguration: Sendable {
    /// Number of accounts (legitimate users).
    public var users: Int
    /// Number of events (lines) to write.
    public var events: Int
    /// Seed of the one random stream everything is drawn from: same seed, same bytes.
    public var seed: UInt64
    /// Time of the stream's start, in milliseconds since 1970 (UTC).
    public var startMilliseconds: Int64
    /// Target share of attack events (0.03...0.08 is typical of a real login stream).
    public var attackShare: Double
    /// Where attack traffic comes from.
    public var networks: AttackNetworks

    /// The default start, 2026-01-05T00:00:00Z (a Monday), so output does not depend on today's date.
    public static let defaultStartMilliseconds: Int64 = 1_767_571_200_000

    /// Creates a configuration; `users` and `events` are clamped to at least 1 and 0.
    public init(
        users: Int, events: Int, seed: UInt64,
        startMilliseconds: Int64 = GeneratorConfiguration.defaultStartMilliseconds,
        attackShare: Double = 0.05, networks: AttackNetworks = .builtIn
    ) {
        self.users = max(1, users)
        self.events = max(0, events)
        self.seed = seed
        self.startMilliseconds = startMilliseconds
        self.attackShare = min(max(attackShare, 0), 0.5)
        self.networks = networks
    }
}

/// Counts of what a generator wrote, by kind (also the basis of the generator tests).
public struct GeneratorStatistics: Sendable, Hashable {
    public var events = 0
    /// Events labelled `attack: true`.
    public var attacks = 0
    /// Events labelled `account_takeover: true`.
    public var takeovers = 0
    public var stuffing = 0
    public var targeted = 0
    public var hijack = 0
    public var impossibleTravel = 0
    /// Legitimate logins from abroad on a trip.
    public var travelLogins = 0
    /// Legitimate logins from a device the user just got.
    public var newDeviceLogins = 0
    /// Legitimate logins through a commercial VPN.
    public var vpnLogins = 0
}
