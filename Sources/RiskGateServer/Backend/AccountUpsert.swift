/// A change to an account profile (`PUT /v1/accounts/{user}`); absent fields keep their stored values.
///
/// Carries KBA answers and the partial-secret in clear text on their way to being hashed, so its
/// `description` is redacted: printing or logging an update never shows them.
public struct AccountUpsert: Sendable, Hashable, Codable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// ISO 3166-1 alpha-2 country code, upper case (`DE`).
    public var homeCountry: String?
    /// E.164 phone number (`+4915112345678`).
    public var phone: String?
    public var email: String?
    /// Knowledge-based questions with their answers; replaces all stored questions when present.
    public var kba: [KBAEntry]?
    /// The passphrase or PIN for partial-secret challenges.
    public var secret: String?
    /// Device ids the account owner trusts; replaces the stored list when present.
    public var trustedDevices: [String]?
    /// The Ed25519 public key of the app device that answers push approvals (a PEM `PUBLIC KEY`
    /// block or the 32 raw bytes in base64); an empty string removes the device. Not a secret.
    public var pushKey: String?
    /// The push device's id; by default derived from the key.
    public var pushDeviceID: String?

    public init(homeCountry: String? = nil, phone: String? = nil, email: String? = nil, kba: [KBAEntry]? = nil,
                secret: String? = nil, trustedDevices: [String]? = nil, pushKey: String? = nil, pushDeviceID: String? = nil) {
        self.homeCountry = homeCountry; self.phone = phone; self.email = email; self.kba = kba
        self.secret = secret; self.trustedDevices = trustedDevices
        self.pushKey = pushKey; self.pushDeviceID = pushDeviceID
    }

    /// One knowledge-based question and its answer.
    public struct KBAEntry: Sendable, Hashable, Codable, CustomStringConvertible {
        public var question: String
        public var answer: String
        public init(question: String, answer: String) { self.question = question; self.answer = answer }
        public var description: String { "KBAEntry(question: \(question), answer: <redacted>)" }
    }

    /// Names of the fields this update sets, in a fixed order (for responses and logs).
    public var fieldNames: [String] {
        var names: [String] = []
        if homeCountry != nil { names.append("home_country") }
        if phone != nil { names.append("phone") }
        if email != nil { names.append("email") }
        if kba != nil { names.append("kba") }
        if secret != nil { names.append("secret") }
        if trustedDevices != nil { names.append("trusted_devices") }
        if pushKey != nil { names.append("push_key") }
        if pushDeviceID != nil { names.append("push_device_id") }
        return names
    }

    public var description: String { "AccountUpsert(fields: \(fieldNames), values: <redacted>)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["fields": fieldNames]) }

    enum CodingKeys: String, CodingKey {
        case phone, email, kba, secret
        case homeCountry = "home_country"
        case trustedDevices = "trusted_devices"
        case pushKey = "push_key"
        case pushDeviceID = "push_device_id"
    }
}
