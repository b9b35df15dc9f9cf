import Foundation
import RiskGate
import RiskGateEngine
import RiskGatePolicy
import Testing
@testable import RiskGateDelivery

@Suite("Webhook signature, payload and retry schedule")
struct WebhookSignatureTests {
    let body = Array(#"{"kind":"otp"}"#.utf8)
    let now = Date(timeIntervalSince1970: 1_790_000_000)

    @Test func signatureIsHMACOfTimestampDotBody() {
        let header = WebhookSignature.header(secret: testSecret, timestamp: 1_790_000_000, body: body)
        let tag = HMACSHA256.authenticate(key: testSecret, message: Array("1790000000.".utf8) + body)
        #expect(header == "t=1790000000,v1=\(tag.hexString)")
        #expect(WebhookSignature.verify(header: header, body: body, secret: testSecret, now: now))
    }

    @Test func verificationRefusesTamperingWrongSecretsAndOldTimestamps() {
        let header = WebhookSignature.header(secret: testSecret, timestamp: 1_790_000_000, body: body)
        #expect(!WebhookSignature.verify(header: header, body: body + [0x20], secret: testSecret, now: now))
        #expect(!WebhookSignature.verify(header: header, body: body, secret: Array("another-secret-0123456789".utf8), now: now))
        #expect(!WebhookSignature.verify(header: header, body: body, secret: testSecret, now: now.addingTimeInterval(301)))
        #expect(WebhookSignature.verify(header: header, body: body, secret: testSecret, now: now.addingTimeInterval(299)))
        // The timestamp is signed: moving it forward breaks the signature.
        let moved = header.replacingOccurrences(of: "t=1790000000", with: "t=1790000200")
        #expect(!WebhookSignature.verify(header: moved, body: body, secret: testSecret, now: now))
        #expect(!WebhookSignature.verify(header: "", body: body, secret: testSecret, now: now))
        #expect(!WebhookSignature.verify(header: "t=1790000000,v1=zz", body: body, secret: testSecret, now: now))
        // A receiver rotating its secret may get two `v1` values; one valid is enough.
        let other = WebhookSignature.header(secret: Array("old-secret-0123456789abcd".utf8), timestamp: 1_790_000_000, body: body)
        let both = header + "," + other.split(separator: ",")[1]
        #expect(WebhookSignature.verify(header: both, body: body, secret: testSecret, now: now))
    }

    @Test func idempotencyKeyIsStableAndDistinct() {
        let created = Date(timeIntervalSince1970: 1_790_000_000.123)
        let message = OutboxMessage(id: 7, created: created, kind: "otp", channel: "sms", user: "u-1", challenge: "ch-1", body: "{}")
        var retried = message
        retried.attempts = 3
        retried.nextAttempt = created.addingTimeInterval(60)
        #expect(WebhookPayload.idempotencyKey(for: message, id: 7) == WebhookPayload.idempotencyKey(for: retried, id: 7))
        #expect(WebhookPayload.idempotencyKey(for: message, id: 7).hasPrefix("rg-7-"))
        var otherChallenge = message
        otherChallenge.challenge = "ch-2"
        #expect(WebhookPayload.idempotencyKey(for: message, id: 7) != WebhookPayload.idempotencyKey(for: otherChallenge, id: 7))
        #expect(WebhookPayload.idempotencyKey(for: message, id: 7) != WebhookPayload.idempotencyKey(for: message, id: 8))
    }

    @Test func payloadCarriesTheMessageAndItsBody() throws {
        let message = OutboxMessage(id: 3, created: Date(timeIntervalSince1970: 1_790_000_000), kind: "otp", channel: "email",
                                    user: "u-1", destination: "a@example.com", challenge: "ch-1", body: #"{"code":"123456","ttl_s":"300"}"#)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(WebhookPayload(message: message, id: 3, attempt: 2).encoded()))
            as? [String: Any])
        #expect(Set(json.keys) == ["idempotency_key", "message_id", "kind", "channel", "user", "destination", "challenge",
                                   "created", "expires", "attempt", "body"])
        #expect(json["message_id"] as? Int == 3 && json["attempt"] as? Int == 2 && json["destination"] as? String == "a@example.com")
        #expect(json["created"] as? String == Timestamp.format(message.created))
        #expect(json["expires"] as? String == Timestamp.format(message.created.addingTimeInterval(300)))
        #expect((json["body"] as? [String: Any])?["code"] as? String == "123456")
        // A body that is not JSON is posted as a string.
        var odd = message
        odd.kind = "note"
        odd.body = "plain text"
        let oddJSON = try #require(try JSONSerialization.jsonObject(with: Data(WebhookPayload(message: odd, id: 3, attempt: 1).encoded()))
            as? [String: Any])
        #expect(oddJSON["body"] as? String == "plain text" && oddJSON["expires"] == nil)
    }

    @Test func retryWaitsGrowWithJitterUpToTheMaximum() {
        let schedule = RetrySchedule(base: .seconds(1), maximum: .seconds(30))
        let random = SystemRandomSource()
        for failures in 1...8 {
            let full = min(30, pow(2, Double(failures - 1)))
            var seen = Set<Int64>()
            for _ in 0..<50 {
                let delay = schedule.delay(afterFailures: failures, random: random)
                #expect(delay.seconds >= full / 2 - 0.001 && delay.seconds <= full + 0.001, "\(failures): \(delay)")
                seen.insert(Int64(delay.seconds * 1000))
            }
            #expect(seen.count > 1, "jittered")
        }
    }
}
