import Foundation
import RiskGateEngine
import RiskGatePolicy

/// The `RiskGate-Signature` header: `t=UNIX_SECONDS,v1=HEX`, where `HEX` is the lowercase
/// HMAC-SHA256 of `"{t}.{body}"` under the webhook secret (the scheme of Stripe's signed webhooks).
///
/// The timestamp is inside the signed bytes, so a receiver that refuses old timestamps (five
/// minutes is usual) also refuses a recorded request played again later.
public enum WebhookSignature {
    /// The header's name.
    public static let headerName = "RiskGate-Signature"

    /// The header value for `body` sent at `timestamp` (seconds since 1970).
    public static func header(secret: [UInt8], timestamp: Int64, body: [UInt8]) -> String {
        "t=\(timestamp),v1=\(tag(secret: secret, timestamp: timestamp, body: body).hexString)"
    }

    /// Whether `header` signs `body` under `secret` with a timestamp within `tolerance` seconds of
    /// `now`. Compares in constant time; a header with several `v1=` values (a receiver between two
    /// secrets) passes when any of them does.
    public static func verify(header: String, body: [UInt8], secret: [UInt8], now: Date, tolerance: TimeInterval = 300) -> Bool {
        var timestamp: Int64?
        var signatures: [[UInt8]] = []
        for part in header.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1)
            guard pair.count == 2 else { continue }
            switch pair[0].trimmingCharacters(in: .whitespaces) {
            case "t": timestamp = Int64(pair[1])
            case "v1": if let bytes = [UInt8](hexString: pair[1]) { signatures.append(bytes) }
            default: continue
            }
        }
        guard let timestamp, abs(now.timeIntervalSince1970 - Double(timestamp)) <= tolerance else { return false }
        let expected = tag(secret: secret, timestamp: timestamp, body: body)
        // Every candidate is compared, so the time taken does not say which one matched.
        var matched = false
        for signature in signatures where constantTimeEquals(signature, expected) { matched = true }
        return matched
    }

    private static func tag(secret: [UInt8], timestamp: Int64, body: [UInt8]) -> [UInt8] {
        HMACSHA256.authenticate(key: secret, message: Array("\(timestamp).".utf8) + body)
    }
}
