import Foundation
import RiskGateEngine
import RiskGatePolicy

/// An administrator's change to an account profile (docs/http-api.md `PUT /v1/accounts/{user}`).
///
/// `nil` leaves a field unchanged; an empty string clears it. Secrets arrive in clear and are
/// hashed immediately by ``AccountAdmin``; they are never stored or logged.
public struct AccountUpdate: Sendable, Hashable {
    public var homeCountry: String?
    public var phone: String?
    public var email: String?
    public var createdAt: Date?
    /// Replaces all KBA questions and answers.
    public var kba: [KBAInput]?
    /// Replaces the PIN or passphrase used for partial-secret steps.
    public var secret: String?
    /// Replaces the trusted device ids.
    public var trustedDevices: [String]?
    /// Registers the app device for push approvals by its Ed25519 public key: a PEM `PUBLIC KEY`
    /// block or the 32 raw bytes in base64. An empty string removes the device.
    public var pushKey: String?
    /// The registered device's id (with ``pushKey``); by default derived from the key
    /// (``PushDevice/defaultID(for:)``).
    public var pushDeviceID: String?

    public init(homeCountry: String? = nil, phone: String? = nil, email: String? = nil, createdAt: Date? = nil,
                kba: [KBAInput]? = nil, secret: String? = nil, trustedDevices: [String]? = nil,
                pushKey: String? = nil, pushDeviceID: String? = nil) {
        self.homeCountry = homeCountry; self.phone = phone; self.email = email; self.createdAt = createdAt
        self.kba = kba; self.secret = secret; self.trustedDevices = trustedDevices
        self.pushKey = pushKey; self.pushDeviceID = pushDeviceID
    }

    /// One knowledge question and its answer in clear (hashed on arrival).
    public struct KBAInput: Sendable, Hashable {
        public var question: String
        public var answer: String
        public init(question: String, answer: String) { self.question = question; self.answer = answer }
    }
}

/// A rejected account change; `field` names the offending input.
public struct AccountError: Error, Sendable, Hashable, CustomStringConvertible {
    public var field: String
    public var message: String
    public init(field: String, message: String) { self.field = field; self.message = message }
    public var description: String { message }
}

/// Administrative account operations: profile and secrets, lockout and ban clearing.
///
/// Each operation writes the user state and an `admin` audit record (naming the fields changed,
/// never their values) in one commit.
public struct AccountAdmin: Sendable {
    public let store: any StateStore
    public let clock: any Clock
    public let random: any RandomSource

    public init(store: any StateStore, clock: any Clock, random: any RandomSource) {
        self.store = store; self.clock = clock; self.random = random
    }

    /// Applies `update` to `user`'s profile, creating the account if needed, and returns the new state.
    ///
    /// - Throws: ``AccountError`` for invalid input (nothing written), ``StoreError`` for storage failures.
    @discardableResult
    public func update(user raw: String, _ update: AccountUpdate) throws -> UserState {
        let user = try Self.canonicalUser(raw)
        var state = try store.loadUser(user) ?? UserState()
        let fields = try apply(update, user: user, to: &state, now: clock.now())
        let event = AuditEvent(time: clock.now(), kind: .admin, user: user, method: "account.set",
                               result: "ok", reference: fields.joined(separator: ","))
        try store.commit(StateChange(users: [user: state], audit: [event]))
        return state
    }

    /// Ends a lockout (and with `unban`, a ban) and returns the new state.
    @discardableResult
    public func clear(user raw: String, unban: Bool) throws -> UserState {
        let user = try Self.canonicalUser(raw)
        var state = try store.loadUser(user) ?? UserState()
        Lockout.clear(&state, unban: unban)
        let event = AuditEvent(time: clock.now(), kind: .admin, user: user, method: unban ? "account.unban" : "account.clear",
                               result: "ok")
        try store.commit(StateChange(users: [user: state], audit: [event]))
        return state
    }

    /// Validates and applies `update` to `state` without storing; returns the names of the fields changed.
    public func apply(_ update: AccountUpdate, user: String, to state: inout UserState, now: Date) throws -> [String] {
        var profile = state.profile
        var fields: [String] = []
        if let country = update.homeCountry {
            let c = country.trimmingCharacters(in: .whitespaces).uppercased()
            guard c.isEmpty || (c.count == 2 && c.allSatisfy { $0.isASCII && $0.isLetter }) else {
                throw AccountError(field: "home_country", message: "home country `\(country.prefix(20))` is not an ISO 3166 alpha-2 code")
            }
            profile.homeCountry = c.isEmpty ? nil : c
            fields.append("home_country")
        }
        if let phone = update.phone {
            let p = phone.filter { $0 != " " && $0 != "-" }
            guard p.isEmpty || (p.first == "+" && (7...16).contains(p.count) && p.dropFirst().allSatisfy { $0.isASCII && $0.isNumber }) else {
                throw AccountError(field: "phone", message: "phone is not an E.164 number like `+4915112345678`")
            }
            profile.phone = p.isEmpty ? nil : p
            fields.append("phone")
        }
        if let email = update.email {
            let e = email.trimmingCharacters(in: .whitespaces)
            let parts = e.split(separator: "@", omittingEmptySubsequences: false)
            guard e.isEmpty || (!RequestContext.hasControlCharacter(e) && !e.contains(" ") && parts.count == 2 && !parts[0].isEmpty && parts[1].contains(".") && e.count <= 254) else {
                throw AccountError(field: "email", message: "email is not an address like `name@example.com`")
            }
            profile.email = e.isEmpty ? nil : e
            fields.append("email")
        }
        if let created = update.createdAt {
            profile.createdAt = created
            fields.append("created_at")
        }
        if let kba = update.kba {
            guard kba.count <= 20 else { throw AccountError(field: "kba", message: "at most 20 kba questions") }
            var answers: [KBAAnswer] = []
            for (i, item) in kba.enumerated() {
                let question = item.question.trimmingCharacters(in: .whitespaces)
                guard !question.isEmpty, question.count <= 500 else {
                    throw AccountError(field: "kba[\(i)].question", message: "kba question \(i + 1) is empty or longer than 500 characters")
                }
                // Questions are shown to the user (a front end may print them raw).
                guard !RequestContext.hasControlCharacter(question) else {
                    throw AccountError(field: "kba[\(i)].question", message: "kba question \(i + 1) has control characters")
                }
                guard !SecretHashing.normalizeAnswer(item.answer).isEmpty, item.answer.count <= 500 else {
                    throw AccountError(field: "kba[\(i)].answer", message: "kba answer \(i + 1) is empty after normalisation or too long")
                }
                let (keyID, hash) = SecretHashing.kbaHash(answer: item.answer, keyring: store.secrets, random: random)
                answers.append(KBAAnswer(question: question, keyID: keyID, hash: hash))
            }
            profile.kba = answers
            fields.append("kba")
        }
        if let secret = update.secret {
            guard secret.isEmpty || (4...64).contains(secret.count) else {
                throw AccountError(field: "secret", message: "secret must have 4 to 64 characters")
            }
            guard !RequestContext.hasControlCharacter(secret) else {
                throw AccountError(field: "secret", message: "secret must not contain control characters")
            }
            profile.partialSecret = secret.isEmpty
                ? nil : SecretHashing.sealSecret(secret, user: user, keyring: store.secrets, random: random)
            fields.append("secret")
        }
        if let devices = update.trustedDevices {
            guard devices.count <= 100, devices.allSatisfy({ !$0.isEmpty && $0.count <= 200 && !RequestContext.hasControlCharacter($0) }) else {
                throw AccountError(field: "trusted_devices", message: "trusted devices must be at most 100 non-empty ids of up to 200 characters, without control characters")
            }
            var seen = Set<String>()
            profile.trustedDevices = devices.filter { seen.insert($0).inserted }
            fields.append("trusted_devices")
        }
        if let text = update.pushKey {
            if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                guard update.pushDeviceID == nil else {
                    throw AccountError(field: "push_device_id", message: "a push device id needs a push key")
                }
                profile.pushDevice = nil
            } else {
                guard let key = Ed25519.publicKey(from: text) else {
                    throw AccountError(field: "push_key", message: "push key is not an Ed25519 public key (PEM `PUBLIC KEY` block or 32 bytes in base64)")
                }
                let id = update.pushDeviceID ?? PushDevice.defaultID(for: key)
                guard !id.isEmpty, id.count <= 200, !RequestContext.hasControlCharacter(id) else {
                    throw AccountError(field: "push_device_id", message: "push device id must be 1 to 200 characters, without control characters")
                }
                profile.pushDevice = PushDevice(id: id, publicKey: key)
            }
            fields.append("push_device")
        } else if update.pushDeviceID != nil {
            throw AccountError(field: "push_device_id", message: "a push device id needs a push key")
        }
        if !profile.known {
            profile.known = true
            if profile.createdAt == nil { profile.createdAt = now }
        }
        state.profile = profile
        return fields
    }

    /// The one form of `user` (``UserID/canonical(_:)``), as a request's `user` gets it.
    public static func canonicalUser(_ user: String) throws -> String {
        do {
            return try UserID.canonical(user)
        } catch {
            throw AccountError(field: "user", message: "user id \(error.message)")
        }
    }
}

/// The `LockoutChange` of the design notes: what one failure did.
public typealias LockoutChange = Lockout.Change
