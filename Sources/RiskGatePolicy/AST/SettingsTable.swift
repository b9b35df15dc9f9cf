/// The settings a policy may set (`settings:` and `lockout:`), their types, and how each
/// fills ``PolicySettings``. Every one can be read in expressions, by its bare name
/// (`impossible_travel_kmh`), as `settings.NAME`, or for lockout as `lockout.NAME`.
package enum SettingsTable {
    package struct Entry: Sendable {
        package var section: String
        package var key: String
        package var type: ValueType
        /// Whether it must be a whole number.
        package var integer: Bool
        /// Why 0 is refused, when it is: for these settings 0 silently turns a safeguard off.
        package var zeroRefused: String? = nil
        package var apply: @Sendable (inout PolicySettings, Double) -> Void
        package var read: @Sendable (PolicySettings) -> Double
    }

    package static let entries: [Entry] = [
        Entry(section: "settings", key: "impossible_travel_kmh", type: .speed, integer: false,
              apply: { $0.impossibleTravelKmh = $1 }, read: { $0.impossibleTravelKmh }),
        Entry(section: "settings", key: "history_window", type: .duration, integer: false,
              apply: { $0.historyWindow = $1 }, read: { $0.historyWindow }),
        Entry(section: "settings", key: "history_max_logins", type: .number, integer: true,
              apply: { $0.historyMaxLogins = Int($1) }, read: { Double($0.historyMaxLogins) }),
        Entry(section: "settings", key: "typing_min_enrollment", type: .number, integer: true,
              apply: { $0.typingMinEnrollment = Int($1) }, read: { Double($0.typingMinEnrollment) }),
        Entry(section: "lockout", key: "threshold", type: .number, integer: true,
              zeroRefused: "with 0 no number of failures ever locks an account; the default is 5",
              apply: { $0.lockoutThreshold = Int($1) }, read: { Double($0.lockoutThreshold) }),
        Entry(section: "lockout", key: "window", type: .duration, integer: false,
              zeroRefused: "with 0s every failure is forgotten at once, so no account is ever locked; the default is `15m`",
              apply: { $0.lockoutWindow = $1 }, read: { $0.lockoutWindow }),
        Entry(section: "lockout", key: "duration", type: .duration, integer: false,
              zeroRefused: "with 0s a lockout ends as it starts; the default is `30m`",
              apply: { $0.lockoutDuration = $1 }, read: { $0.lockoutDuration }),
        Entry(section: "lockout", key: "bans_after", type: .number, integer: true,
              apply: { $0.bansAfter = Int($1) }, read: { Double($0.bansAfter) }),
        Entry(section: "lockout", key: "network_threshold", type: .number, integer: true,
              apply: { $0.networkThreshold = Int($1) }, read: { Double($0.networkThreshold) }),
    ]

    /// The longest duration any setting or challenge accepts: 3650 days. Longer ones are surely
    /// typos, and absurd ones (`99999999999999999999w`) would overflow where seconds become integers.
    package static let maxDuration: Double = 3650 * 86_400
    /// The largest plain number or speed a setting accepts.
    package static let maxNumber: Double = 1e12

    /// Every name an expression may use for a setting, with its value under `settings`.
    package static func expressionValues(_ settings: PolicySettings) -> [String: Value] {
        var result: [String: Value] = [:]
        for entry in entries {
            let v = entry.read(settings)
            let value: Value = switch entry.type {
            case .speed: .speed(v)
            case .duration: .duration(v)
            case .distance: .distance(v)
            default: .number(v)
            }
            if entry.section == "settings" {
                result[entry.key] = value
                result["settings.\(entry.key)"] = value
            } else {
                result["lockout.\(entry.key)"] = value
            }
        }
        return result
    }
}
