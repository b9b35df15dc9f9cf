/// SHA-256 (FIPS 180-4), in pure Swift, for policy hashes, the audit hash chain and salted secrets.
///
/// Foundation on Linux has no digest API and the core library takes no package dependencies.
/// Every decision hashes an audit record, so full blocks are compressed straight from the caller's
/// bytes and only a partial block is buffered: hashing allocates nothing but the returned digest.
public struct SHA256: Sendable {
    typealias Words = (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32)
    /// 64 bytes of storage for a partial block, inline so copying a hasher (HMAC keeps two) never allocates.
    typealias Block = (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64)

    private var state: Words = (0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19)
    private var tail: Block = (0, 0, 0, 0, 0, 0, 0, 0)
    /// Bytes held in ``tail`` (always below 64 between calls).
    private var tailCount = 0
    private var length: UInt64 = 0

    public init() {}

    /// Adds bytes to the message.
    ///
    /// - Complexity: O(n), without copying when `bytes` has contiguous storage (arrays, `Data`, slices).
    public mutating func update<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        let done: Void? = bytes.withContiguousStorageIfAvailable { update(bytes: UnsafeRawBufferPointer($0)) }
        if done == nil {
            Array(bytes).withUnsafeBytes { update(bytes: $0) }
        }
    }

    /// Adds the UTF-8 bytes of a string.
    public mutating func update(_ text: String) {
        let done: Void? = text.utf8.withContiguousStorageIfAvailable { update(bytes: UnsafeRawBufferPointer($0)) }
        if done == nil {
            var copy = text
            copy.withUTF8 { update(bytes: UnsafeRawBufferPointer($0)) }
        }
    }

    /// Adds raw bytes: full blocks are compressed in place, the rest is kept for the next call.
    package mutating func update(bytes: UnsafeRawBufferPointer) {
        guard var source = bytes.baseAddress, !bytes.isEmpty else { return }
        var remaining = bytes.count
        length &+= UInt64(remaining)
        var words = state
        let held = tailCount
        withUnsafeMutableBytes(of: &tail) { block in
            var held = held
            if held > 0 {
                let take = min(64 - held, remaining)
                (block.baseAddress! + held).copyMemory(from: source, byteCount: take)
                held += take
                source += take
                remaining -= take
                guard held == 64 else { return }
                SHA256.compress(&words, blocks: UnsafeRawPointer(block.baseAddress!), count: 1)
            }
            let full = remaining / 64
            if full > 0 {
                SHA256.compress(&words, blocks: source, count: full)
                source += full * 64
                remaining -= full * 64
            }
            if remaining > 0 { block.baseAddress!.copyMemory(from: source, byteCount: remaining) }
        }
        tailCount = held + bytes.count < 64 ? held + bytes.count : remaining
        state = words
    }

    /// The 32-byte digest of everything added.
    public mutating func finalize() -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: 32) { buffer, initialized in
            finalize(into: UnsafeMutableRawBufferPointer(buffer))
            initialized = 32
        }
    }

    /// Writes the 32-byte digest into the first 32 bytes of `digest` (which must hold at least 32).
    package mutating func finalize(into digest: UnsafeMutableRawBufferPointer) {
        precondition(digest.count >= 32, "SHA-256 digest needs 32 bytes")
        let bitLength = length &* 8
        var words = state
        let held = tailCount
        withUnsafeMutableBytes(of: &tail) { block in
            block[held] = 0x80
            if held >= 56 {
                for i in (held + 1)..<64 { block[i] = 0 }
                SHA256.compress(&words, blocks: UnsafeRawPointer(block.baseAddress!), count: 1)
                for i in 0..<56 { block[i] = 0 }
            } else {
                for i in (held + 1)..<56 { block[i] = 0 }
            }
            block.storeBytes(of: bitLength.bigEndian, toByteOffset: 56, as: UInt64.self)
            SHA256.compress(&words, blocks: UnsafeRawPointer(block.baseAddress!), count: 1)
        }
        tailCount = 0
        state = words
        digest.storeBytes(of: words.0.bigEndian, toByteOffset: 0, as: UInt32.self)
        digest.storeBytes(of: words.1.bigEndian, toByteOffset: 4, as: UInt32.self)
        digest.storeBytes(of: words.2.bigEndian, toByteOffset: 8, as: UInt32.self)
        digest.storeBytes(of: words.3.bigEndian, toByteOffset: 12, as: UInt32.self)
        digest.storeBytes(of: words.4.bigEndian, toByteOffset: 16, as: UInt32.self)
        digest.storeBytes(of: words.5.bigEndian, toByteOffset: 20, as: UInt32.self)
        digest.storeBytes(of: words.6.bigEndian, toByteOffset: 24, as: UInt32.self)
        digest.storeBytes(of: words.7.bigEndian, toByteOffset: 28, as: UInt32.self)
    }

    /// The digest of `bytes`.
    public static func hash<C: Collection>(_ bytes: C) -> [UInt8] where C.Element == UInt8 {
        var h = SHA256()
        h.update(bytes)
        return h.finalize()
    }

    /// The digest of a string's UTF-8 bytes, as lowercase hex.
    public static func hex(_ text: String) -> String {
        var h = SHA256()
        h.update(text)
        return h.finalize().hexString
    }

    private static let k: [UInt32] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ]

    @inline(__always)
    private static func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { x >> n | x << (32 - n) }

    /// One SHA-256 round: `d` gets `d + T1`, `h` becomes the new `a`; the caller rotates the names.
    @inline(__always)
    private static func round(_ a: UInt32, _ b: UInt32, _ c: UInt32, _ d: inout UInt32,
                              _ e: UInt32, _ f: UInt32, _ g: UInt32, _ h: inout UInt32, _ kw: UInt32) {
        let t1 = h &+ (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) &+ (g ^ (e & (f ^ g))) &+ kw
        let t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) &+ ((a & b) | (c & (a | b)))
        d &+= t1
        h = t1 &+ t2
    }

    /// Compresses `count` consecutive 64-byte blocks at `blocks` into `state`.
    ///
    /// The message schedule lives in a stack buffer shared by all blocks of one call.
    private static func compress(_ state: inout Words, blocks: UnsafeRawPointer, count: Int) {
        k.withUnsafeBufferPointer { kBuffer in
            let k = kBuffer.baseAddress!
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { schedule in
                let w = schedule.baseAddress!
                var (h0, h1, h2, h3, h4, h5, h6, h7) = state
                for n in 0..<count {
                    let block = blocks + n * 64
                    for i in 0..<16 {
                        w[i] = UInt32(bigEndian: block.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))
                    }
                    for i in 16..<64 {
                        let a = w[i - 15], b = w[i - 2]
                        let s0 = rotr(a, 7) ^ rotr(a, 18) ^ (a >> 3)
                        let s1 = rotr(b, 17) ^ rotr(b, 19) ^ (b >> 10)
                        w[i] = w[i - 16] &+ s0 &+ w[i - 7] &+ s1
                    }
                    var (a, b, c, d, e, f, g, h) = (h0, h1, h2, h3, h4, h5, h6, h7)
                    // Eight rounds per pass with the roles of the working variables rotated, instead of
                    // shifting all eight values every round.
                    var i = 0
                    while i < 64 {
                        round(a, b, c, &d, e, f, g, &h, k[i] &+ w[i])
                        round(h, a, b, &c, d, e, f, &g, k[i + 1] &+ w[i + 1])
                        round(g, h, a, &b, c, d, e, &f, k[i + 2] &+ w[i + 2])
                        round(f, g, h, &a, b, c, d, &e, k[i + 3] &+ w[i + 3])
                        round(e, f, g, &h, a, b, c, &d, k[i + 4] &+ w[i + 4])
                        round(d, e, f, &g, h, a, b, &c, k[i + 5] &+ w[i + 5])
                        round(c, d, e, &f, g, h, a, &b, k[i + 6] &+ w[i + 6])
                        round(b, c, d, &e, f, g, h, &a, k[i + 7] &+ w[i + 7])
                        i += 8
                    }
                    h0 &+= a; h1 &+= b; h2 &+= c; h3 &+= d; h4 &+= e; h5 &+= f; h6 &+= g; h7 &+= h
                }
                state = (h0, h1, h2, h3, h4, h5, h6, h7)
            }
        }
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
}

@inline(__always)
private func hexDigit(_ nibble: UInt8) -> UInt8 { nibble < 10 ? 0x30 + nibble : 0x57 + nibble }
