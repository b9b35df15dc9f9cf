import RiskGatePolicy
import CCrypto

/// HMAC-SHA256 under one key, set up once and reused for many messages.
///
/// The one-shot ``HMACSHA256/authenticate(key:message:)`` looks the algorithm up in OpenSSL's
/// provider store and derives the key's inner and outer pads on every call, which costs several
/// times the hashing of a 600-byte audit record. Here the lookup and the pads are done once; each
/// message restarts from the keyed state. Not thread-safe: one owner (the SQLite writer thread).
package final class KeyedHMAC {
    private let mac: OpaquePointer
    private let context: OpaquePointer

    /// Prepares `key`; `nil` when OpenSSL cannot (no HMAC provider, or an empty key, which
    /// `EVP_MAC_init` would take as "keep the previous key").
    package init?(key: [UInt8]) {
        guard !key.isEmpty, let mac = EVP_MAC_fetch(nil, "HMAC", nil) else { return nil }
        guard let context = EVP_MAC_CTX_new(mac) else {
            EVP_MAC_free(mac)
            return nil
        }
        var name = Array("digest".utf8CString), digest = Array("SHA256".utf8CString)
        let ok = name.withUnsafeMutableBufferPointer { name in
            digest.withUnsafeMutableBufferPointer { digest in
                var params = [OSSL_PARAM_construct_utf8_string(name.baseAddress, digest.baseAddress, 0), OSSL_PARAM_construct_end()]
                return key.withUnsafeBufferPointer { EVP_MAC_init(context, $0.baseAddress, $0.count, &params) }
            }
        }
        guard ok == 1 else {
            EVP_MAC_CTX_free(context)
            EVP_MAC_free(mac)
            return nil
        }
        self.mac = mac
        self.context = context
    }

    deinit {
        EVP_MAC_CTX_free(context)
        EVP_MAC_free(mac)
    }

    /// The 32-byte tag of `first` followed by `second` (one message, given in two parts so that
    /// neither has to be copied into the other).
    package func authenticate(_ first: UnsafeRawBufferPointer, _ second: UnsafeRawBufferPointer) -> [UInt8] {
        var tag = [UInt8](repeating: 0, count: 32)
        var length = 0
        // A null key restarts from the keyed state (`HMAC_Init_ex` with the pads kept).
        var ok = EVP_MAC_init(context, nil, 0, nil) == 1
        ok = ok && EVP_MAC_update(context, first.baseAddress?.assumingMemoryBound(to: UInt8.self), first.count) == 1
        ok = ok && EVP_MAC_update(context, second.baseAddress?.assumingMemoryBound(to: UInt8.self), second.count) == 1
        ok = ok && tag.withUnsafeMutableBufferPointer { EVP_MAC_final(context, $0.baseAddress, &length, 32) } == 1
        // These fail only without memory or with a broken OpenSSL build: nothing to recover.
        precondition(ok && length == 32, "OpenSSL EVP_MAC(HMAC-SHA256) failed")
        return tag
    }
}
