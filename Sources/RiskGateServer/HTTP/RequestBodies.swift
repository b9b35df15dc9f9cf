import Foundation
import RiskGateEngine
import RiskGatePolicy

/// `POST /v1/challenges/{id}/verify` body.
///
/// A `delay` step asks for nothing, so its `response` may be left out (or empty); every other
/// step needs one. A `push` step's answer comes from the app: `approve` or `deny`, the device's
/// base64 `signature`, the `number` picked (with number matching) and `report_fraud`.
struct VerifyRequestBody {
    var step: String
    var response: String
    var push: PushAnswer?

    init(_ c: JSONObjectReader) throws {
        try c.rejectUnknownKeys(["step", "response", "signature", "number", "report_fraud"])
        step = try c.string("step")
        guard (1...32).contains(step.utf8.count) else {
            throw APIError.invalidField("step", "`step` must be 1 to 32 bytes")
        }
        let asksNothing = step == "delay"
        response = asksNothing ? try c.optionalString("response") ?? "" : try c.string("response")
        guard ((asksNothing ? 0 : 1)...256).contains(response.utf8.count) else {
            throw APIError.invalidField("response", asksNothing ? "`response` must be at most 256 bytes" : "`response` must be 1 to 256 bytes")
        }
        guard step == "push" else {
            for key in ["signature", "number", "report_fraud"] where c.contains(key) {
                throw APIError.invalidField(key, "`\(key)` belongs to a `push` step only")
            }
            return
        }
        guard PushApproval.responses.contains(response) else {
            throw APIError.invalidField("response", "a `push` response must be `approve` or `deny`")
        }
        guard let text = try c.optionalString("signature") else {
            throw APIError.invalidField("signature", "a `push` step needs the device's `signature`")
        }
        guard text.utf8.count <= 128, let signature = Data(base64Encoded: text), signature.count == Ed25519.signatureLength else {
            throw APIError.invalidField("signature", "`signature` must be a base64 Ed25519 signature (64 bytes)")
        }
        let number = try c.optionalInt("number")
        if let number, !(0...999).contains(number) {
            throw APIError.invalidField("number", "`number` must be the number picked in the app")
        }
        let reportFraud = try c.optionalBool("report_fraud") ?? false
        if reportFraud && response != "deny" {
            throw APIError.invalidField("report_fraud", "`report_fraud` goes with a `deny` response")
        }
        push = PushAnswer(number: number, signature: [UInt8](signature), reportFraud: reportFraud)
    }
}

/// `POST /v1/feedback` body.
struct FeedbackRequestBody {
    var decision: String
    var label: FeedbackLabel

    init(_ c: JSONObjectReader) throws {
        try c.rejectUnknownKeys(["decision", "label"])
        decision = try c.string("decision")
        guard (1...128).contains(decision.utf8.count) else {
            throw APIError.invalidField("decision", "`decision` must be 1 to 128 bytes")
        }
        let text = try c.string("label")
        guard let label = FeedbackLabel(rawValue: text) else {
            throw APIError.invalidField("label", "`label` must be `fraud` or `legit`")
        }
        self.label = label
    }
}

/// `PUT /v1/accounts/{user}` body: an ``AccountUpsert`` with strict keys and bounded, well-formed values.
struct AccountRequestBody {
    var update: AccountUpsert

    init(_ c: JSONObjectReader) throws {
        try c.rejectUnknownKeys(["home_country", "phone", "email", "kba", "secret", "trusted_devices", "push_key", "push_device_id"])
        let entries = try c.optionalObjects("kba")
        for entry in entries ?? [] { try entry.rejectUnknownKeys(["question", "answer"]) }
        update = AccountUpsert(
            homeCountry: try c.optionalString("home_country"), phone: try c.optionalString("phone"),
            email: try c.optionalString("email"),
            kba: try entries?.map { entry in
                AccountUpsert.KBAEntry(question: try entry.string("question"), answer: try entry.string("answer"))
            },
            secret: try c.optionalString("secret"), trustedDevices: try c.optionalStrings("trusted_devices"),
            pushKey: try c.optionalString("push_key"), pushDeviceID: try c.optionalString("push_device_id"))
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
