import CCrypto

/// Compares two byte strings in time that depends only on their lengths, never on where they differ
/// (OpenSSL's `CRYPTO_memcmp`).
///
/// Use it for every comparison against a stored secret or tag, so response timing reveals nothing
/// about how close a guess was.
public func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    if a.isEmpty { return true }
    return a.withUnsafeBytes { x in b.withUnsafeBytes { y in CRYPTO_memcmp(x.baseAddress, y.baseAddress, a.count) == 0 } }
}
