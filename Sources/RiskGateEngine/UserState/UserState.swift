import Foundation
import RiskGatePolicy

/// Everything RiskGate remembers about one account: profile, history, devices, typing, counters.
///
/// A value type: a request loads it, computes signals from it, and the engine writes the updated
/// value back in one transaction together with that request's audit records.
public struct UserState: Sendable, Hashable, Codable {
    public var profile: AccountProfile
    /// Successful (accepted) logins, oldest first, bounded by `PolicySettings.historyMaxLogins`
    /// and pruned to `historyWindow`.
    public var logins: [LoginRecord]
    /// Devices this user has used, by id.
    public var devices: [DeviceRecord]
    /// Keystroke templates, one per field.
    public var typing: [TypingTemplate]
    /// Times of recent failed attempts of any factor from unfamiliar contexts (pruned to the lockout window).
    public var failures: [Date]
    /// Times of recent failed attempts from familiar contexts (a known device or network, ``Lockout/isFamiliar(deviceKnown:deviceTrusted:ipKnown:)``).
    public var familiarFailures: [Date]
    /// While in the future, unfamiliar contexts are locked out.
    public var lockedUntil: Date?
    /// While in the future, every context is locked out.
    public var familiarLockedUntil: Date?
    /// Lockouts of either class so far (reset by an admin clear).
    public var lockouts: Int
    /// Lockouts from familiar contexts, the ones that count toward a ban.
    public var familiarLockouts: Int
    /// Banned until an admin clears it.
    public var banned: Bool
    /// Per-user counts for the statistical login-history model.
    public var model: UserModelCounts
    /// The version of the row this state was loaded from, for stores that commit conditionally
    /// (PostgreSQL: a commit of a state loaded at version 7 fails with `.conflict` when another
    /// replica wrote version 8 meanwhile). Not part of the state's value: it never changes
    /// equality, hashing or the encoded forms.
    package var storeVersion = StoreVersion()

    enum CodingKeys: String, CodingKey {
        case profile, logins, devices, typing, failures, familiarFailures, lockedUntil, familiarLockedUntil
        case lockouts, familiarLockouts, banned, model
    }

    public init(profile: AccountProfile = AccountProfile()) {
        self.profile = profile
        logins = []
        devices = []
        typing = []
        failures = []
        familiarFailures = []
        lockedUntil = nil
        familiarLockedUntil = nil
        lockouts = 0
        familiarLockouts = 0
        banned = false
        model = UserModelCounts()
    }
}

/// The stored row version a ``UserState`` was loaded at; equal to every other, so it never makes
/// two states differ (the engine writes a user's row only when the state's value changed).
package struct StoreVersion: Sendable, Hashable {
    /// `nil`: not loaded from a versioned row (a new user, or a store that keeps no versions).
    package var value: Int64?
    package init(_ value: Int64? = nil) { self.value = value }
    package static func == (_: StoreVersion, _: StoreVersion) -> Bool { true }
    package func hash(into hasher: inout Hasher) {}
}

/// The account profile an admin maintains (docs/http-api.md `PUT /v1/accounts/{user}`).
public struct AccountProfile: Sendable, Hashable, Codable {
    /// Whether the account exists in the customer's directory (set by an upsert).
    public var known: Bool = false
    /// ISO 3166 alpha-2 code.
    public var homeCountry: String?
    /// E.164 phone number.
    public var phone: String?
    /// Email address, for OTP delivery.
    public var email: String?
    /// When the account was created.
    public var createdAt: Date?
    /// Knowledge-based questions with peppered Argon2id hashes of their normalised answers.
    public var kba: [KBAAnswer] = []
    /// The account's PIN or passphrase for partial-secret steps, encrypted under the secrets key.
    public var partialSecret: SealedSecret?
    /// Device ids an admin marked trusted.
    public var trustedDevices: [String] = []
    /// The app device that answers push approvals, with its Ed25519 public key.
    public var pushDevice: PushDevice?

    public init() {}
}

/// An account's registered app device for push approvals: an id and the Ed25519 public key its
/// answers are signed with. Holds no secret: the private key never leaves the device.
public struct PushDevice: Sendable, Hashable, Codable {
    /// The id the push deliverer addresses the device by.
    public var id: String
    /// The raw 32-byte Ed25519 public key.
    public var publicKey: [UInt8]

    public init(id: String, publicKey: [UInt8]) { self.id = id; self.publicKey = publicKey }

    /// The default id of a device registered without one: `pk-` and the first 16 hex digits of
    /// the key's SHA-256, so the same key always gets the same id.
    public static func defaultID(for publicKey: [UInt8]) -> String {
        "pk-" + String(SHA256.hash(publicKey).hexString.prefix(16))
    }

    enum CodingKeys: String, CodingKey { case id; case publicKey = "public_key" }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        guard let data = Data(base64Encoded: try c.decode(String.self, forKey: .publicKey)),
              data.count == Ed25519.publicKeyLength else {
            throw DecodingError.dataCorruptedError(forKey: .publicKey, in: c, debugDescription: "not a base64 Ed25519 public key")
        }
        publicKey = [UInt8](data)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(Data(publicKey).base64EncodedString(), forKey: .publicKey)
    }
}

/// One knowledge-based question and the hash of its normalised answer; the answer itself is never kept.
public struct KBAAnswer: Sendable, Hashable, Codable {
    public var question: String
    /// The secrets key that peppered the answer.
    public var keyID: String
    /// Argon2id PHC string (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`) of the peppered answer.
    public var hash: String
    public init(question: String, keyID: String, hash: String) {
        self.question = question; self.keyID = keyID; self.hash = hash
    }
    enum CodingKeys: String, CodingKey { case question, hash; case keyID = "key_id" }
}

/// A secret encrypted under a secrets key (AES-256-GCM, bound to its user): `nonce || ciphertext || tag`.
public struct SealedSecret: Sendable, Hashable, Codable {
    /// The secrets key that sealed it.
    public var keyID: String
    public var box: [UInt8]
    public init(keyID: String, box: [UInt8]) { self.keyID = keyID; self.box = box }
    enum CodingKeys: String, CodingKey { case box; case keyID = "key_id" }
}

/// One accepted login, as kept in history.
public struct LoginRecord: Sendable, Hashable, Codable {
    public var time: Date
    public var ip: IPAddress?
    public var country: String?
    public var asn: Double?
    public var lat: Double?
    public var lon: Double?
    public var accuracyKm: Double?
    /// Whether the IP was anonymous (VPN/Tor/proxy); such logins don't anchor travel checks.
    public var anonymous: Bool
    public var userAgent: String?
    public var deviceId: String?
    /// Whether the request was a login (`action` absent or `login`), counted by `history.logins`;
    /// another accepted action (a payment) is kept for `ip.known`, countries, devices and travel.
    public var isLogin: Bool
    public init(time: Date, ip: IPAddress? = nil, country: String? = nil, asn: Double? = nil, lat: Double? = nil,
                lon: Double? = nil, accuracyKm: Double? = nil, anonymous: Bool = false,
                userAgent: String? = nil, deviceId: String? = nil, isLogin: Bool = true) {
        self.time = time; self.ip = ip; self.country = country; self.asn = asn; self.lat = lat; self.lon = lon
        self.accuracyKm = accuracyKm; self.anonymous = anonymous; self.userAgent = userAgent; self.deviceId = deviceId
        self.isLogin = isLogin
    }
}

/// A device seen for a user.
public struct DeviceRecord: Sendable, Hashable, Codable {
    public var id: String
    public var firstSeen: Date
    public var lastSeen: Date
    public var count: Int
    public init(id: String, firstSeen: Date, lastSeen: Date, count: Int) {
        self.id = id; self.firstSeen = firstSeen; self.lastSeen = lastSeen; self.count = count
    }
}

extension IPAddress: Codable {
    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let ip = IPAddress(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not an IP address: `\(text.prefix(64))`"))
        }
        self = ip
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}
