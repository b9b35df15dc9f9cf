import Foundation
import RiskGate
import RiskGatePolicy

/// `POST /v1/decisions` body: a ``RiskGate/RequestContext`` whose keys are checked first.
///
/// Unknown keys are refused at the top level and inside `geo`, `device`, `typing`, `phone` and
/// `label`: a misspelt field (`"chanel"`) would otherwise be dropped silently and turn off the signals
/// that depend on it. `signals` is free-form by design.
struct DecisionRequestBody: Decodable {
    var context: RiskGatePolicy.RequestContext

    static let topLevel: Set<String> = [
        "id", "time", "user", "channel", "action", "ip", "geo", "device", "typing", "phone", "result", "label", "signals",
    ]
    static let nested: [String: Set<String>] = [
        "geo": ["country", "lat", "lon", "accuracy_km", "asn"],
        "device": ["id", "user_agent", "emulator", "rooted"],
        "typing": ["field", "keys"],
        "phone": ["ani"],
        "label": ["attack", "account_takeover"],
    ]
    /// Most keystrokes one typing sample may carry.
    static let maxKeys = 512

    init(from decoder: any Decoder) throws {
        let keys = try decoder.container(keyedBy: AnyKey.self)
        try keys.rejectUnknownKeys(Self.topLevel, prefix: "")
        for (name, allowed) in Self.nested {
            try keys.nestedObjectIfPresent(name)?.rejectUnknownKeys(allowed, prefix: name)
        }
        if let typing = try keys.nestedObjectIfPresent("typing"), typing.contains(AnyKey("keys")),
            var list = try? typing.nestedUnkeyedContainer(forKey: AnyKey("keys"))
        {
            var index = 0
            while !list.isAtEnd {
                let key = try list.nestedContainer(keyedBy: AnyKey.self)
                try key.rejectUnknownKeys(["down", "up"], prefix: "typing.keys[\(index)]")
                index += 1
            }
        }
        context = try RiskGatePolicy.RequestContext(from: decoder)
        try Self.validate(&context)
    }

    /// Checks what the type system does not: the core's ``RiskGate/RequestContext/validate()`` (the
    /// checks replay applies too), then this endpoint's own: `channel` and the limit on keystrokes.
    static func validate(_ context: inout RiskGatePolicy.RequestContext) throws {
        do {
            try context.validate()
        } catch {
            throw APIError.invalidField(error.field, error.message)
        }
        // Another value (`"Web"`, `"sms"`) would match no `channel == ...` rule (the compiler warns
        // such a comparison is always false), so every channel rule would be skipped without a word.
        if let channel = context.channel, !RiskGatePolicy.RequestContext.channels.contains(channel) {
            let allowed = RiskGatePolicy.RequestContext.channels.map { "`\($0)`" }.joined(separator: ", ")
            throw APIError.invalidField("channel", "`channel` must be one of \(allowed)")
        }
        if let typing = context.typing, typing.keys.count > Self.maxKeys {
            throw APIError.invalidField("typing.keys", "`typing.keys` has more than \(Self.maxKeys) keys")
        }
    }
}

/// `POST /v1/challenges/{id}/verify` body.
///
/// A `delay` step asks for nothing, so its `response` may be left out (or empty); every other
/// step needs one. A `push` step's answer comes from the app: `approve` or `deny`, the device's
/// base64 `signature`, the `number` picked (with number matching) and `report_fraud`.
struct VerifyRequestBody: Decodable {
    var step: String
    var response: String
    var push: PushAnswer?

    init(from decoder: any Decoder) throws {
        try decoder.container(keyedBy: AnyKey.self).rejectUnknownKeys(["step", "response", "signature", "number", "report_fraud"], prefix: "")
        let c = try decoder.container(keyedBy: AnyKey.self)
        step = try c.decode(String.self, forKey: AnyKey("step"))
        guard (1...32).contains(step.utf8.count) else {
            throw APIError.invalidField("step", "`step` must be 1 to 32 bytes")
        }
        let asksNothing = step == "delay"
        response = asksNothing ? try c.decodeIfPresent(String.self, forKey: AnyKey("response")) ?? ""
            : try c.decode(String.self, forKey: AnyKey("response"))
        guard ((asksNothing ? 0 : 1)...256).contains(response.utf8.count) else {
            throw APIError.invalidField("response", asksNothing ? "`response` must be at most 256 bytes" : "`response` must be 1 to 256 bytes")
        }
        guard step == "push" else {
            for key in ["signature", "number", "report_fraud"] where c.contains(AnyKey(key)) {
                throw APIError.invalidField(key, "`\(key)` belongs to a `push` step only")
            }
            return
        }
        guard PushApproval.responses.contains(response) else {
            throw APIError.invalidField("response", "a `push` response must be `approve` or `deny`")
        }
        guard let text = try c.decodeIfPresent(String.self, forKey: AnyKey("signature")) else {
            throw APIError.invalidField("signature", "a `push` step needs the device's `signature`")
        }
        guard text.utf8.count <= 128, let signature = Data(base64Encoded: text), signature.count == Ed25519.signatureLength else {
            throw APIError.invalidField("signature", "`signature` must be a base64 Ed25519 signature (64 bytes)")
        }
        let number = try c.decodeIfPresent(Int.self, forKey: AnyKey("number"))
        if let number, !(0...999).contains(number) {
            throw APIError.invalidField("number", "`number` must be the number picked in the app")
        }
        let reportFraud = try c.decodeIfPresent(Bool.self, forKey: AnyKey("report_fraud")) ?? false
        if reportFraud && response != "deny" {
            throw APIError.invalidField("report_fraud", "`report_fraud` goes with a `deny` response")
        }
        push = PushAnswer(number: number, signature: [UInt8](signature), reportFraud: reportFraud)
    }
}

/// `POST /v1/feedback` body.
struct FeedbackRequestBody: Decodable {
    var decision: String
    var label: FeedbackLabel

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: AnyKey.self)
        try c.rejectUnknownKeys(["decision", "label"], prefix: "")
        decision = try c.decode(String.self, forKey: AnyKey("decision"))
        guard (1...128).contains(decision.utf8.count) else {
            throw APIError.invalidField("decision", "`decision` must be 1 to 128 bytes")
        }
        let text = try c.decode(String.self, forKey: AnyKey("label"))
        guard let label = FeedbackLabel(rawValue: text) else {
            throw APIError.invalidField("label", "`label` must be `fraud` or `legit`")
        }
        self.label = label
    }
}

/// `PUT /v1/accounts/{user}` body: an ``AccountUpsert`` with strict keys and bounded, well-formed values.
struct AccountRequestBody: Decodable {
    var update: AccountUpsert

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: AnyKey.self)
        try c.rejectUnknownKeys(["home_country", "phone", "email", "kba", "secret", "trusted_devices", "push_key", "push_device_id"], prefix: "")
        if var list = try? c.nestedUnkeyedContainer(forKey: AnyKey("kba")) {
            var index = 0
            while !list.isAtEnd {
                guard let entry = try? list.nestedContainer(keyedBy: AnyKey.self) else { break }
                try entry.rejectUnknownKeys(["question", "answer"], prefix: "kba[\(index)]")
                index += 1
            }
        }
        update = try AccountUpsert(from: decoder)
        try validate()
    }

    static let maxKBA = 10
    static let maxTrustedDevices = 100

    private func validate() throws {
        if let country = update.homeCountry {
            guard country.utf8.count == 2, country.utf8.allSatisfy({ (0x41...0x5A).contains($0) }) else {
                throw APIError.invalidField("home_country", "`home_country` must be an ISO 3166-1 alpha-2 code like `DE`")
            }
        }
        if let phone = update.phone {
            let digits = phone.utf8.dropFirst()
            guard phone.utf8.first == UInt8(ascii: "+"), (6...15).contains(digits.count),
                digits.allSatisfy({ (0x30...0x39).contains($0) })
            else {
                throw APIError.invalidField("phone", "`phone` must be an E.164 number like `+4915112345678`")
            }
        }
        if let email = update.email {
            let parts = email.split(separator: "@", omittingEmptySubsequences: false)
            guard email.utf8.count <= 254, parts.count == 2, !parts[0].isEmpty, parts[1].contains("."),
                !email.contains(where: { $0.isWhitespace })
            else {
                throw APIError.invalidField("email", "`email` must be an address like `name@example.com`")
            }
        }
        if let kba = update.kba {
            guard kba.count <= Self.maxKBA else {
                throw APIError.invalidField("kba", "`kba` has more than \(Self.maxKBA) questions")
            }
            for (i, entry) in kba.enumerated() {
                guard (1...256).contains(entry.question.utf8.count) else {
                    throw APIError.invalidField("kba[\(i)].question", "`kba[\(i)].question` must be 1 to 256 bytes")
                }
                guard (1...256).contains(entry.answer.utf8.count) else {
                    throw APIError.invalidField("kba[\(i)].answer", "`kba[\(i)].answer` must be 1 to 256 bytes")
                }
            }
        }
        if let secret = update.secret, !(4...64).contains(secret.count) {
            throw APIError.invalidField("secret", "`secret` must be 4 to 64 characters")
        }
        if let devices = update.trustedDevices {
            guard devices.count <= Self.maxTrustedDevices else {
                throw APIError.invalidField("trusted_devices", "`trusted_devices` has more than \(Self.maxTrustedDevices) entries")
            }
            for (i, device) in devices.enumerated() where !(1...128).contains(device.utf8.count) {
                throw APIError.invalidField("trusted_devices[\(i)]", "`trusted_devices[\(i)]` must be 1 to 128 bytes")
            }
        }
        if let key = update.pushKey, key.utf8.count > 4096 {
            throw APIError.invalidField("push_key", "`push_key` must be at most 4096 bytes")
        }
        if let id = update.pushDeviceID {
            guard (1...128).contains(id.utf8.count) else {
                throw APIError.invalidField("push_device_id", "`push_device_id` must be 1 to 128 bytes")
            }
            guard let key = update.pushKey, !key.isEmpty else {
                throw APIError.invalidField("push_device_id", "`push_device_id` needs a `push_key`")
            }
        }
    }
}
