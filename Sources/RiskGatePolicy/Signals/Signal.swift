/// Every signal a policy can name (docs/signals.md), with its static type.
///
/// The raw value is the signal's slot in ``SignalValues``; evaluation reads slots by index,
/// never by name.
public enum Signal: Int, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case channel
    case requestAction
    case ipAddress
    case ipCountry
    case ipASN
    case ipAnonymous
    case ipKnown
    case geoCountryMismatch
    case geoNewCountry
    case geoDistanceKm
    case geoVelocityKmh
    case geoImpossibleTravel
    case deviceKnown
    case deviceNew
    case deviceAge
    case deviceTrusted
    case deviceEmulator
    case deviceRooted
    case typingPresent
    case typingEnrolled
    case typingAnomaly
    case phoneAniMatch
    case accountKnown
    case accountHasPhone
    /// The account has an app device registered for push approvals.
    case accountHasPushDevice
    case accountAge
    case accountFailures
    case accountLocked
    case accountBanned
    case accountLockouts
    case historyLogins
    /// Failed attempts from the request's network (/24, /64) across all accounts within `lockout.window`.
    case ipNetworkFailures
    /// The statistical login-history model's risk, 0 (typical for this user) to 1 (unlike anything seen).
    case modelRisk
    /// The model's natural-log likelihood ratio (attack over legitimate); 0 is neutral.
    case modelLogRatio
    /// The clamped 0..100 sum of the policy's `score` rules.
    case score
    /// `low`, `medium` or `high`, from the policy's `score.bands`.
    case scoreBand

    /// The name policies use, e.g. `geo.velocity_kmh`.
    public var name: String {
        switch self {
        case .channel: "channel"
        case .requestAction: "request.action"
        case .ipAddress: "ip.address"
        case .ipCountry: "ip.country"
        case .ipASN: "ip.asn"
        case .ipAnonymous: "ip.anonymous"
        case .ipKnown: "ip.known"
        case .geoCountryMismatch: "geo.country_mismatch"
        case .geoNewCountry: "geo.new_country"
        case .geoDistanceKm: "geo.distance_km"
        case .geoVelocityKmh: "geo.velocity_kmh"
        case .geoImpossibleTravel: "geo.impossible_travel"
        case .deviceKnown: "device.known"
        case .deviceNew: "device.new"
        case .deviceAge: "device.age"
        case .deviceTrusted: "device.trusted"
        case .deviceEmulator: "device.emulator"
        case .deviceRooted: "device.rooted"
        case .typingPresent: "typing.present"
        case .typingEnrolled: "typing.enrolled"
        case .typingAnomaly: "typing.anomaly"
        case .phoneAniMatch: "phone.ani_match"
        case .accountKnown: "account.known"
        case .accountHasPhone: "account.has_phone"
        case .accountHasPushDevice: "account.has_push_device"
        case .accountAge: "account.age"
        case .accountFailures: "account.failures"
        case .accountLocked: "account.locked"
        case .accountBanned: "account.banned"
        case .accountLockouts: "account.lockouts"
        case .historyLogins: "history.logins"
        case .ipNetworkFailures: "ip.network_failures"
        case .modelRisk: "model.risk"
        case .modelLogRatio: "model.log_ratio"
        case .score: "score"
        case .scoreBand: "score.band"
        }
    }

    /// The signal's static type.
    public var type: ValueType {
        switch self {
        case .channel, .requestAction, .ipCountry, .scoreBand: .string
        case .ipAddress: .ip
        case .ipASN, .typingAnomaly, .accountFailures, .accountLockouts, .historyLogins, .ipNetworkFailures,
             .modelRisk, .modelLogRatio, .score: .number
        case .geoDistanceKm: .distance
        case .geoVelocityKmh: .speed
        case .deviceAge, .accountAge: .duration
        case .ipAnonymous, .ipKnown, .geoCountryMismatch, .geoNewCountry, .geoImpossibleTravel,
             .deviceKnown, .deviceNew, .deviceTrusted, .deviceEmulator, .deviceRooted,
             .typingPresent, .typingEnrolled, .phoneAniMatch, .accountKnown, .accountHasPhone,
             .accountHasPushDevice, .accountLocked, .accountBanned: .bool
        }
    }

    /// Whether the value depends on the score (and so may not be used in `points`).
    public var dependsOnScore: Bool { self == .score || self == .scoreBand }

    public var description: String { name }

    /// Looks a signal up by its policy name.
    public init?(name: String) {
        guard let signal = Signal.byName[name] else { return nil }
        self = signal
    }

    private static let byName: [String: Signal] = Dictionary(
        uniqueKeysWithValues: Signal.allCases.map { ($0.name, $0) })

    /// All signal names, for "did you mean" suggestions.
    public static var allNames: [String] { allCases.map(\.name) }
}
