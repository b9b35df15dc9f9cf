import CCrypto

/// SHA-256 from OpenSSL's libcrypto: policy hashes and API-key digests.
public enum SHA256 {
    /// The 32-byte digest of `bytes`.
    public static func hash<C: Collection>(_ bytes: C) -> [UInt8] where C.Element == UInt8 {
        let done: [UInt8]? = bytes.withContiguousStorageIfAvailable { hash(UnsafeRawBufferPointer($0)) }
        return done ?? Array(bytes).withUnsafeBytes { hash($0) }
    }

    /// The lowercase hex digest of a string's UTF-8 bytes.
    public static func hex(_ text: String) -> String { hash(Array(text.utf8)).hexString }

    /// The 32-byte digest of raw bytes.
    public static func hash(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        let ok = digest.withUnsafeMutableBufferPointer { out in
            EVP_Digest(bytes.baseAddress, bytes.count, out.baseAddress, &length, EVP_sha256(), nil)
        }
        // EVP_Digest fails only without memory or with a broken OpenSSL build: nothing to recover.
        precondition(ok == 1 && length == 32, "OpenSSL EVP_Digest(SHA-256) failed")
        return digest
    }
}

/// HMAC-SHA256 from OpenSSL's libcrypto: keyed hashes of OTP codes, KBA peppering and audit records.
public enum HMACSHA256 {
    /// The 32-byte tag of `message` under `key`.
    public static func authenticate(key: [UInt8], message: UnsafeRawBufferPointer) -> [UInt8] {
        var tag = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        let result = key.withUnsafeBufferPointer { k in
            tag.withUnsafeMutableBufferPointer { out in
                HMAC(EVP_sha256(), k.baseAddress, Int32(k.count),
                     message.baseAddress?.assumingMemoryBound(to: UInt8.self), message.count, out.baseAddress, &length)
            }
        }
        precondition(result != nil && length == 32, "OpenSSL HMAC(SHA-256) failed")
        return tag
    }

    /// The 32-byte tag of `message` under `key`.
    public static func authenticate(key: [UInt8], message: [UInt8]) -> [UInt8] {
        message.withUnsafeBytes { authenticate(key: key, message: $0) }
    }

    /// The tag of several parts, each prefixed by its length so no two part lists share a message.
    public static func authenticate(key: [UInt8], parts: [[UInt8]]) -> [UInt8] {
        var message: [UInt8] = []
        message.reserveCapacity(parts.reduce(0) { $0 + $1.count + 4 })
        for part in parts {
            let n = UInt32(part.count)
            message += [UInt8(n >> 24 & 0xFF), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)]
            message += part
        }
        return authenticate(key: key, message: message)
    }
}

extension Array where Element == UInt8 {
    /// Lowercase hexadecimal rendering.
    public var hexString: String {
        String(unsafeUninitializedCapacity: count * 2) { out in
            var i = 0
            for b in self {
                out[i] = hexDigit(b >> 4)
                out[i + 1] = hexDigit(b & 0xF)
                i += 2
            }
            return i
        }
    }

    /// Bytes from hexadecimal text (either case); `nil` for an odd length or a non-hex character.
    public init?(hexString text: some StringProtocol) {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var i = 0
        while i < digits.count {
            guard let high = hexValue(digits[i]), let low = hexValue(digits[i + 1]) else { return nil }
            bytes.append(high << 4 | low)
            i += 2
        }
        self = bytes
    }
}

@inline(__always)
private func hexDigit(_ nibble: UInt8) -> UInt8 { nibble < 10 ? 0x30 + nibble : 0x57 + nibble }

private func hexValue(_ c: UInt8) -> UInt8? {
    switch c {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
    default: nil
    }
}
