/// Compares two byte strings in time that depends only on their lengths, never on where they differ.
///
/// Use it for every comparison against a stored secret hash, so response timing reveals nothing
/// about how close a guess was.
public func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    var difference = UInt8(truncatingIfNeeded: a.count ^ b.count)
    let n = max(a.count, b.count)
    for i in 0..<n {
        let x = i < a.count ? a[i] : 0
        let y = i < b.count ? b[i] : 0
        difference |= x ^ y
    }
    return difference == 0
}
