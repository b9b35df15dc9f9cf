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
        var o = outer
        o.update(i.finalize())
        return o.finalize()
    }

    static func authenticate(key: [UInt8], message: [UInt8]) -> [UInt8] {
        HMACSHA256(key: key).authenticate(message)
    }
}

/// PBKDF2-HMAC-SHA256 (RFC 8018), for low-entropy secrets such as KBA answers.
enum PBKDF2 {
    static func deriveKey(password: [UInt8], salt: [UInt8], iterations: Int, length: Int = 32) -> [UInt8] {
        let prf = HMACSHA256(key: password)
        var output: [UInt8] = []
        output.reserveCapacity(length)
        var block: UInt32 = 1
        while output.count < length {
            var u = prf.authenticate(salt + [UInt8(block >> 24), UInt8(truncatingIfNeeded: block >> 16),
                                             UInt8(truncatingIfNeeded: block >> 8), UInt8(truncatingIfNeeded: block)])
            var t = u
            if iterations > 1 {
                for _ in 1..<iterations {
                    u = prf.authenticate(u)
                    for j in 0..<32 { t[j] ^= u[j] }
                }
            }
            output += t
            block += 1
        }
        return Array(output.prefix(length))
    }
}
