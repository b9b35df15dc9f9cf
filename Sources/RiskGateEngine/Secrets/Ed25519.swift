import CCrypto
import Foundation

/// Ed25519 public keys and signature checks from OpenSSL's libcrypto: push approvals signed by
/// an account's registered app device.
///
/// Only public keys are ever handled here; the private key stays on the device.
public enum Ed25519 {
    /// Bytes in a raw public key.
    public static let publicKeyLength = 32
    /// Bytes in a signature.
    public static let signatureLength = 64

    /// The raw 32-byte public key in `text`: a PEM `PUBLIC KEY` block (SubjectPublicKeyInfo, as
    /// `openssl pkey -pubout` writes it), or the 32 raw bytes in base64.
    ///
    /// Returns `nil` for anything else, including a PEM key of another algorithm.
    public static func publicKey(from text: String) -> [UInt8]? {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.utf8.count <= 4096 else { return nil }
        if trimmed.hasPrefix("-----BEGIN") {
            return publicKey(pem: trimmed)
        }
        guard let data = Data(base64Encoded: trimmed), data.count == publicKeyLength else { return nil }
        let raw = [UInt8](data)
        // The key must load as an Ed25519 key, so a registered key is always usable.
        return withKey(raw) { _ in raw }
    }

    /// Whether `signature` is a valid Ed25519 signature of `message` under the raw `publicKey`.
    ///
    /// A key or signature of the wrong length is simply invalid.
    public static func isValidSignature(_ signature: [UInt8], of message: [UInt8], publicKey: [UInt8]) -> Bool {
        guard signature.count == signatureLength, publicKey.count == publicKeyLength else { return false }
        return withKey(publicKey) { key -> Bool in
            guard let ctx = EVP_MD_CTX_new() else { return false }
            defer { EVP_MD_CTX_free(ctx) }
            // Ed25519 hashes internally: no digest is named, and the message is verified in one call.
            guard EVP_DigestVerifyInit(ctx, nil, nil, nil, key) == 1 else { return false }
            let result = signature.withUnsafeBufferPointer { sig in
                message.withUnsafeBufferPointer { msg in
                    EVP_DigestVerify(ctx, sig.baseAddress, sig.count, msg.baseAddress, msg.count)
                }
            }
            return result == 1
        } ?? false
    }

    /// Runs `body` with the raw public key loaded as an `EVP_PKEY`; `nil` when it does not load.
    private static func withKey<T>(_ raw: [UInt8], _ body: (OpaquePointer) -> T) -> T? {
        let key = raw.withUnsafeBufferPointer {
            EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nil, $0.baseAddress, $0.count)
        }
        guard let key else {
            ERR_clear_error()
            return nil
        }
        defer { EVP_PKEY_free(key) }
        return body(key)
    }

    /// The raw key of a PEM `PUBLIC KEY` block, parsed by OpenSSL.
    private static func publicKey(pem: String) -> [UInt8]? {
        let bytes = Array(pem.utf8)
        let key: OpaquePointer? = bytes.withUnsafeBufferPointer { buffer in
            guard let bio = BIO_new_mem_buf(buffer.baseAddress, Int32(buffer.count)) else { return nil }
            defer { BIO_free(bio) }
            return PEM_read_bio_PUBKEY(bio, nil, nil, nil)
        }
        guard let key else {
            ERR_clear_error()  // the failed parse leaves its reasons on this thread's error queue
            return nil
        }
        defer { EVP_PKEY_free(key) }
        guard EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519 else { return nil }
        var length = publicKeyLength
        var raw = [UInt8](repeating: 0, count: publicKeyLength)
        guard EVP_PKEY_get_raw_public_key(key, &raw, &length) == 1, length == publicKeyLength else { return nil }
        return raw
    }
}
