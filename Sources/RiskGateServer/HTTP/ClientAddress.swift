import Foundation
import HTTPTypes
import NIOCore

/// The address a request came from, for rate limits and the log of failed authentications.
///
/// It is the connection's peer address, unless the peer is one of the configured trusted proxies:
/// then it is the last address in `X-Forwarded-For` (the one that proxy appended; earlier entries
/// are whatever the client sent and prove nothing). From any other peer the header is ignored, so a
/// client cannot pick its own address to dodge the per-address limits.
struct ClientAddress {
    /// Peer addresses (as `SocketAddress.ipAddress` spells them) whose `X-Forwarded-For` is believed.
    let trustedProxies: Set<String>

    /// The client's address, or `-` when the channel has no peer (an in-process test channel).
    func resolve(peer: SocketAddress?, forwardedFor: String?) -> String {
        guard let peer = peer?.ipAddress else { return "-" }
        guard !trustedProxies.isEmpty, trustedProxies.contains(peer), let forwardedFor,
            let last = forwardedFor.split(separator: ",").last
        else { return peer }
        let candidate = last.trimmingCharacters(in: .whitespaces)
        return Self.looksLikeIPAddress(candidate) ? candidate : peer
    }

    /// IPv4 or IPv6 text: bounded length, digits, hex letters, dots and colons only. Enough to keep
    /// arbitrary header text out of the bucket tables and the log.
    static func looksLikeIPAddress(_ text: String) -> Bool {
        let utf8 = text.utf8
        guard (2...45).contains(utf8.count) else { return false }
        return utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"),
                UInt8(ascii: "A")...UInt8(ascii: "F"), UInt8(ascii: "."), UInt8(ascii: ":"):
                true
            default: false
            }
        }
    }
}

extension HTTPField.Name {
    static let xForwardedFor = HTTPField.Name("X-Forwarded-For")!
}
