import CCrypto
import Foundation
@testable import RiskGateEngine

/// An app device for push approval tests: a fresh Ed25519 key pair from libcrypto, which signs
/// answers as the app would. The private key lives only in this value.
final class PushTestDevice: @unchecked Sendable {
    private let key: OpaquePointer

    init() {
        let ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nil)
        defer { EVP_PKEY_CTX_free(ctx) }
        var generated: OpaquePointer?
        precondition(EVP_PKEY_keygen_init(ctx) == 1 && EVP_PKEY_keygen(ctx, &generated) == 1, "Ed25519 keygen failed")
        key = generated!
    }

    deinit { EVP_PKEY_free(key) }

    /// The raw 32-byte public key.
    var publicKey: [UInt8] {
        var length = 32
        var raw = [UInt8](repeating: 0, count: 32)
        precondition(EVP_PKEY_get_raw_public_key(key, &raw, &length) == 1)
        return raw
    }

    /// The public key as `openssl pkey -pubout` writes it.
    var publicKeyPEM: String {
        var der: UnsafeMutablePointer<UInt8>?
        let n = i2d_PUBKEY(key, &der)
        precondition(n > 0)
        defer { CRYPTO_free(der, #file, #line) }
        let base64 = Data(bytes: der!, count: Int(n)).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
        return "-----BEGIN PUBLIC KEY-----\n\(base64)\n-----END PUBLIC KEY-----\n"
    }

    /// An Ed25519 signature of `message`.
    func sign(_ message: [UInt8]) -> [UInt8] {
        let ctx = EVP_MD_CTX_new()
        defer { EVP_MD_CTX_free(ctx) }
        precondition(EVP_DigestSignInit(ctx, nil, nil, nil, key) == 1)
        var signature = [UInt8](repeating: 0, count: 64)
        var length = 64
        let ok = message.withUnsafeBufferPointer { EVP_DigestSign(ctx, &signature, &length, $0.baseAddress, $0.count) }
        precondition(ok == 1 && length == 64)
        return signature
    }

    /// The app's answer to the push message of `challenge`: signs what ``PushApproval`` says.
    func answer(_ response: String, challenge: String, nonce: String, number: Int?, reportFraud: Bool = false) -> PushAnswer {
        let message = PushApproval.signedMessage(challenge: challenge, nonce: nonce, response: response, number: number)
        return PushAnswer(number: number, signature: sign(message), reportFraud: reportFraud)
    }
}
