import Foundation
import RiskGate
import RiskGateEngine
import RiskGatePolicy

/// The JSON document posted for one outbox message (docs/delivery.md).
///
/// The message's `body` is included as JSON (an OTP's `{"code": "…", "ttl_s": "300"}`, a hand-off's
/// context), whatever the message's kind: the deliverer posts every kind the same way.
struct WebhookPayload: Encodable {
    var idempotencyKey: String
    var messageID: Int64
    var kind: String
    var channel: String
    var user: String
    var destination: String?
    var challenge: String?
    var created: String
    /// When an OTP's code stops working; absent for other kinds.
    var expires: String?
    /// This attempt's number, 1 for the first.
    var attempt: Int
    var body: JSONValue

    enum CodingKeys: String, CodingKey {
        case idempotencyKey = "idempotency_key", messageID = "message_id", kind, channel, user, destination, challenge
        case created, expires, attempt, body
    }

    /// The payload of `message`, already opened for delivery (an OTP's code in clear).
    init(message: OutboxMessage, id: Int64, attempt: Int) {
        idempotencyKey = Self.idempotencyKey(for: message, id: id)
        messageID = id
        kind = message.kind
        channel = message.channel
        user = message.user
        destination = message.destination
        challenge = message.challenge
        created = Timestamp.format(message.created)
        expires = message.otpExpiry.map(Timestamp.format)
        self.attempt = attempt
        body = JSONValue(parsing: message.body) ?? .string(message.body)
    }

    /// The same for every attempt at one message, and for its retries from the dead letters: the
    /// message id with its challenge, user and creation time, so two databases' message 1 differ.
    static func idempotencyKey(for message: OutboxMessage, id: Int64) -> String {
        let created = Int64((message.created.timeIntervalSince1970 * 1000).rounded())
        let digest = SHA256.hex("\(id)\u{0}\(message.challenge ?? "")\u{0}\(message.user)\u{0}\(created)")
        return "rg-\(id)-\(digest.prefix(24))"
    }

    /// The bytes to post (keys sorted, so the document is the same for the same message).
    func encoded() -> [UInt8] {
        // Every member is a string, an integer or a parsed JSON value: encoding cannot fail.
        (try? JSONWriter.encode(self)) ?? Array("{}".utf8)
    }
}
