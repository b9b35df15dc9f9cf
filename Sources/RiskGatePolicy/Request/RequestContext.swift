import Foundation

/// One login or sensitive request as services send it (docs/http-api.md), also one line of a replay dataset (docs/replay.md).
///
/// Only ``user`` is required. Everything else may be absent, and the signals that depend on it
/// are then unavailable.
public struct RequestContext: Sendable, Hashable, Codable {
    /// Caller-chosen event id, echoed in audit records.
    public var id: String?
    /// When the request happened; the service uses its clock when absent, replay requires it.
    public var time: Date?
    /// The account the request is for.
    public var user: String
    /// `web`, `app`, `chat`, `voice` or `agent`.
    public var channel: String?
    /// `login`, `password_reset`, `payment`, `profile_change`, ...
    public var action: String?
    /// The client IP address as text; ``validate()`` refuses one that is not IPv4 or IPv6.
    public var ip: String?
    public var geo: Geo?
    public var device: Device?
    public var typing: Typing?
    public var phone: Phone?
    /// Outcome of the first factor when known: `success` or `failure`.
    public var result: String?
    /// Ground truth for replay; absent means unknown.
    public var label: Label?
    /// Signal values supplied by the caller for signals RiskGate cannot compute itself, by name.
    public var signals: [String: JSONValue]?

    public init(user: String) { self.user = user }

    /// The values `channel` takes (docs/signals.md): policies are type-checked against this list and the
    /// service refuses a request with another. Replay does not (its reports pool unknown channels).
    public static let channels = ["web", "app", "chat", "voice", "agent"]

    /// Request-supplied geolocation; wins over an MMDB lookup.
    public struct Geo: Sendable, Hashable, Codable {
        public var country: String?
        public var lat: Double?
        public var lon: Double?
        public var accuracyKm: Double?
        public var asn: Double?
        public init(country: String? = nil, lat: Double? = nil, lon: Double? = nil, accuracyKm: Double? = nil, asn: Double? = nil) {
            self.country = country; self.lat = lat; self.lon = lon; self.accuracyKm = accuracyKm; self.asn = asn
        }
        enum CodingKeys: String, CodingKey {
            case country, lat, lon, asn
            case accuracyKm = "accuracy_km"
        }
    }

    /// Client device description.
    public struct Device: Sendable, Hashable, Codable {
        public var id: String?
        public var userAgent: String?
        public var emulator: Bool?
        public var rooted: Bool?
        public init(id: String? = nil, userAgent: String? = nil, emulator: Bool? = nil, rooted: Bool? = nil) {
            self.id = id; self.userAgent = userAgent; self.emulator = emulator; self.rooted = rooted
        }
        enum CodingKeys: String, CodingKey {
            case id, emulator, rooted
            case userAgent = "user_agent"
        }
    }

    /// Keystroke timings for one field: key down/up times in milliseconds, never key identities.
    public struct Typing: Sendable, Hashable, Codable {
        public var field: String
        public var keys: [Key]
        public init(field: String, keys: [Key]) { self.field = field; self.keys = keys }

        public struct Key: Sendable, Hashable, Codable {
            public var down: Double
            public var up: Double
            public init(down: Double, up: Double) { self.down = down; self.up = up }
        }
    }

    /// Telephony data for voice requests.
    public struct Phone: Sendable, Hashable, Codable {
        /// The caller's number (automatic number identification).
        public var ani: String?
        public init(ani: String? = nil) { self.ani = ani }
    }

    /// Replay ground truth.
    public struct Label: Sendable, Hashable, Codable {
        public var attack: Bool?
        public var accountTakeover: Bool?
        public init(attack: Bool? = nil, accountTakeover: Bool? = nil) {
            self.attack = attack; self.accountTakeover = accountTakeover
        }
        enum CodingKeys: String, CodingKey {
            case attack
            case accountTakeover = "account_takeover"
        }
        /// An event is an attack when either flag is true (docs/replay.md).
        public var isAttack: Bool { attack == true || accountTakeover == true }
    }

    enum CodingKeys: String, CodingKey {
        case id, time, user, channel, action, ip, geo, device, typing, phone, result, label, signals
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decodeIfPresent(String.self, forKey: .id)
        if let text = try c.decodeIfPresent(String.self, forKey: .time) {
            guard let date = Timestamp.parse(text) else {
                throw DecodingError.dataCorruptedError(
                    forKey: .time, in: c, debugDescription: "`time` is not an ISO 8601 timestamp: `\(text.prefix(64))`")
            }
            time = date
        }
        user = try c.decode(String.self, forKey: .user)
        channel = try c.decodeIfPresent(String.self, forKey: .channel)
        action = try c.decodeIfPresent(String.self, forKey: .action)
        ip = try c.decodeIfPresent(String.self, forKey: .ip)
        geo = try c.decodeIfPresent(Geo.self, forKey: .geo)
        device = try c.decodeIfPresent(Device.self, forKey: .device)
        typing = try c.decodeIfPresent(Typing.self, forKey: .typing)
        phone = try c.decodeIfPresent(Phone.self, forKey: .phone)
        result = try c.decodeIfPresent(String.self, forKey: .result)
        label = try c.decodeIfPresent(Label.self, forKey: .label)
        signals = try c.decodeIfPresent([String: JSONValue].self, forKey: .signals)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(id, forKey: .id)
        try c.encodeIfPresent(time.map(Timestamp.format), forKey: .time)
        try c.encode(user, forKey: .user)
        try c.encodeIfPresent(channel, forKey: .channel)
        try c.encodeIfPresent(action, forKey: .action)
        try c.encodeIfPresent(ip, forKey: .ip)
        try c.encodeIfPresent(geo, forKey: .geo)
        try c.encodeIfPresent(device, forKey: .device)
        try c.encodeIfPresent(typing, forKey: .typing)
        try c.encodeIfPresent(phone, forKey: .phone)
        try c.encodeIfPresent(result, forKey: .result)
        try c.encodeIfPresent(label, forKey: .label)
        try c.encodeIfPresent(signals, forKey: .signals)
    }
}
