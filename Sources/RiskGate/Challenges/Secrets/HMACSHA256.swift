/// HMAC-SHA256 (RFC 2104) over the core's pure-Swift SHA-256.
///
/// The keyed inner and outer states are computed once, so PBKDF2's many iterations each cost
/// two compressions instead of four.
struct HMACSHA256: Sendable {
    private let inner: SHA256
    private let outer: SHA256

    init(key: [UInt8]) {
        var k = key.count > 64 ? SHA256.hash(key) : key
        k += [UInt8](repeating: 0, count: 64 - k.count)
        var i = SHA256()
        i.update(k.map { $0 ^ 0x36 })
        var o = SHA256()
        o.update(k.map { $0 ^ 0x5c })
        inner = i
        outer = o
    }

    /// The 32-byte MAC of `message`.
    func authenticate<C: Collection>(_ message: C) -> [UInt8] where C.Element == UInt8 {
        var i = inner
        i.update(message)
        var digest = Digest()
        withUnsafeMutableBytes(of: &digest) { i.finalize(into: $0) }
        var o = outer
        withUnsafeBytes(of: &digest) { o.update(bytes: $0) }
        return o.finalize()
    }

    /// Writes the MAC of `message` into the first 32 bytes of `mac`, without allocating.
    ///
    /// `message` is read completely before `mac` is written, so both may be the same memory
    /// (PBKDF2 feeds each MAC back in).
    func authenticate(_ message: UnsafeRawBufferPointer, into mac: UnsafeMutableRawBufferPointer) {
        var i = inner
        i.update(bytes: message)
        var digest = Digest()
        withUnsafeMutableBytes(of: &digest) { i.finalize(into: $0) }
        var o = outer
        withUnsafeBytes(of: &digest) { o.update(bytes: $0) }
        o.finalize(into: mac)
    }

    static func authenticate(key: [UInt8], message: [UInt8]) -> [UInt8] {
        HMACSHA256(key: key).authenticate(message)
    }

    /// 32 bytes of inline storage for a digest.
    struct Digest {
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

        static func ^= (lhs: inout Digest, rhs: Digest) {
            lhs.words.0 ^= rhs.words.0; lhs.words.1 ^= rhs.words.1
            lhs.words.2 ^= rhs.words.2; lhs.words.3 ^= rhs.words.3
        }
    }
}

/// PBKDF2-HMAC-SHA256 (RFC 8018), for low-entropy secrets such as KBA answers.
package enum PBKDF2 {
    /// Derives `length` bytes from `password` and `salt`; each 32 bytes cost `2 × iterations` compressions.
    package static func deriveKey(password: [UInt8], salt: [UInt8], iterations: Int, length: Int = 32) -> [UInt8] {
        let prf = HMACSHA256(key: password)
        var output: [UInt8] = []
        output.reserveCapacity(length + 32)
        var block: UInt32 = 1
        while output.count < length {
            let first = salt + [UInt8(block >> 24), UInt8(truncatingIfNeeded: block >> 16),
                                UInt8(truncatingIfNeeded: block >> 8), UInt8(truncatingIfNeeded: block)]
            var u = HMACSHA256.Digest()
            first.withUnsafeBytes { message in withUnsafeMutableBytes(of: &u) { prf.authenticate(message, into: $0) } }
            var t = u
            if iterations > 1 {
                for _ in 1..<iterations {
                    withUnsafeMutableBytes(of: &u) { prf.authenticate(UnsafeRawBufferPointer($0), into: $0) }
                    t ^= u
                }
            }
            withUnsafeBytes(of: &t) { output += $0 }
            block += 1
        }
        return Array(output.prefix(length))
    }
}
