import Foundation
import RiskGatePolicy

/// The app's signed answer to a push approval (`{"step": "push", "response": "approve", ...}`).
public struct PushAnswer: Sendable, Hashable {
    /// The number the user picked in the app (number matching); `nil` when none was asked.
    public var number: Int?
    /// The Ed25519 signature of ``PushApproval/signedMessage(challenge:nonce:response:number:)``
    /// by the registered device's key.
    public var signature: [UInt8]
    /// With a `deny`: the user says the login was not theirs. Recorded as a `fraud` feedback label
    /// on the decision that raised the challenge, once the signature checks out.
    public var reportFraud: Bool

    public init(number: Int? = nil, signature: [UInt8], reportFraud: Bool = false) {
        self.number = number; self.signature = signature; self.reportFraud = reportFraud
    }
}

/// What a push approval step signs, sends and shows.
///
/// The app signs, with the device key registered on the account, the UTF-8 bytes of
///
///     riskgate-push-v1\n<challenge id>\n<nonce>\n<approve|deny>\n<number or empty>
///
/// The challenge id and the nonce (fresh per challenge, sent only in the push message) bind the
/// answer to this one request, so a signature captured from another challenge fails here; the
/// response and number are covered so neither can be changed in transit.
public enum PushApproval {
    /// The answers an app may give.
    public static let responses = ["approve", "deny"]
    /// How many numbers the app offers with number matching (one is the login screen's).
    public static let choiceCount = 3
    /// Numbers are two digits, as the login screen shows them.
    package static let numberRange = 10...99

    /// The bytes the app signs.
    public static func signedMessage(challenge: String, nonce: String, response: String, number: Int?) -> [UInt8] {
        Array("riskgate-push-v1\n\(challenge)\n\(nonce)\n\(response)\n\(number.map(String.init) ?? "")".utf8)
    }

    /// `choiceCount` distinct two-digit numbers, `number` among them at a random place.
    package static func choices(including number: Int, random: any RandomSource) -> [Int] {
        var choices = [number]
        while choices.count < choiceCount {
            let n = numberRange.lowerBound + random.uniform(numberRange.count)
            if !choices.contains(n) { choices.append(n) }
        }
        // Fisher–Yates, so the login screen's number is not always first.
        for i in stride(from: choices.count - 1, to: 0, by: -1) { choices.swapAt(i, random.uniform(i + 1)) }
        return choices
    }

    /// The outbox message body for the push deliverer: the challenge, user and device, the nonce
    /// to sign, the choices to offer (never which one is right), the lifetime and the request's
    /// channel (so the app can say "Are you trying to talk to our helpdesk?" for `voice`/`chat`/`agent`).
    package static func outboxBody(challenge: String, user: String, device: String, nonce: String, choices: [Int]?,
                           ttl: Double, requestChannel: String?) -> String {
        var w = JSONWriter(escapesSlashes: false, capacity: 256)
        do throws(JSONWriter.Failure) {
            try w.beginObject()
            w.key("challenge"); w.string(challenge)
            if let choices { w.key("choices"); try w.ints(choices) }
            w.key("device"); w.string(device)
            w.key("nonce"); w.string(nonce)
            if let requestChannel { w.key("request_channel"); w.string(requestChannel) }
            w.key("ttl_s"); w.string(String(Int(ttl)))
            w.key("user"); w.string(user)
            w.endObject()
        } catch {
            return "null"
        }
        return w.text
    }
}
