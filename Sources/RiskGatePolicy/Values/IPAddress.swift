/// An IPv4 or IPv6 address held as a 128-bit value, without allocation.
///
/// IPv4 addresses keep their 32 bits in the low word with ``isV4`` set; they are never
/// confused with the IPv4-mapped IPv6 form.
public struct IPAddress: Hashable, Sendable, CustomStringConvertible, Comparable {
    /// The upper 64 bits (always 0 for IPv4).
    public let high: UInt64
    /// The lower 64 bits (the 32-bit address for IPv4).
    public let low: UInt64
    /// Whether this is an IPv4 address.
    public let isV4: Bool

    /// Creates an IPv4 address from its 32-bit value.
    public init(v4 value: UInt32) {
        high = 0
        low = UInt64(value)
        isV4 = true
    }

    /// Creates an IPv6 address from its two 64-bit halves.
    public init(v6High high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
        isV4 = false
    }

    /// The IPv4 address an IPv4-mapped IPv6 address (`::ffff:192.0.2.66`) stands for, or this
    /// address. Signals use it, so the mapped form of a listed or known IPv4 address is not a
    /// way around IPv4 lists, `ip.known` or the databases.
    public var unmapped: IPAddress {
        guard !isV4, high == 0, low >> 32 == 0xFFFF else { return self }
        return IPAddress(v4: UInt32(truncatingIfNeeded: low))
    }

    /// Number of bits in an address of this family (32 or 128).
    public var bitWidth: Int { isV4 ? 32 : 128 }

    /// Parses dotted-quad IPv4 or RFC 4291 IPv6 text (with `::` and an embedded IPv4 tail).
    ///
    /// Returns `nil` for anything else, including leading zeros that would make an octet ambiguous,
    /// zone identifiers and surrounding whitespace.
    public init?<S: StringProtocol>(_ text: S) {
        // Contiguous UTF-8 (native `String`/`Substring`) is read in place; anything else is copied once.
        let parsed = text.utf8.withContiguousStorageIfAvailable { IPAddress.parse(utf8: $0) }
            ?? Array(text.utf8).withUnsafeBufferPointer { IPAddress.parse(utf8: $0) }
        guard let parsed else { return nil }
        self = parsed
    }

    /// Parses an address from exactly the bytes given, with the rules of ``init(_:)``; no allocation.
    package static func parse(utf8 bytes: UnsafeBufferPointer<UInt8>) -> IPAddress? {
        let count = bytes.count
        if count > 45 || count == 0 { return nil }
        var hasColon = false
        for byte in bytes where byte == UInt8(ascii: ":") {
            hasColon = true
            break
        }
        if hasColon {
            guard let (h, l) = parseV6(bytes) else { return nil }
            return IPAddress(v6High: h, low: l)
        }
        guard let v = parseV4(bytes, from: 0, to: count) else { return nil }
        return IPAddress(v4: v)
    }

    /// Dotted quad in `bytes[from..<to]`: four decimal octets, 0...255, no leading zeros, no sign.
    static func parseV4(_ bytes: UnsafeBufferPointer<UInt8>, from: Int, to: Int) -> UInt32? {
        var result: UInt32 = 0
        var octets = 0
        var current: UInt32 = 0
        var digits = 0
        var leadingZero = false
        var index = from
        while index < to {
            let byte = bytes[index]
            index += 1
            if byte == UInt8(ascii: ".") {
                guard digits > 0, octets < 3 else { return nil }
                result = result << 8 | current
                octets += 1
                current = 0
                digits = 0
                leadingZero = false
            } else if byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
                if digits == 1 && leadingZero { return nil }
                if digits == 0 && byte == UInt8(ascii: "0") { leadingZero = true }
                current = current * 10 + UInt32(byte - UInt8(ascii: "0"))
                digits += 1
                guard digits <= 3, current <= 255 else { return nil }
            } else {
                return nil
            }
        }
        guard digits > 0, octets == 3 else { return nil }
        return result << 8 | current
    }

    /// IPv6 text in `bytes` (at most 45 bytes, holding a colon) as two 64-bit halves.
    static func parseV6(_ bytes: UnsafeBufferPointer<UInt8>) -> (UInt64, UInt64)? {
        // Up to 8 hex groups plus a 2-group IPv4 tail before the final count check; stack only.
        withUnsafeTemporaryAllocation(of: UInt16.self, capacity: 10) { groups in
            parseV6(bytes, into: groups)
        }
    }

    private static func parseV6(_ bytes: UnsafeBufferPointer<UInt8>, into groups: UnsafeMutableBufferPointer<UInt16>) -> (UInt64, UInt64)? {
        var groupCount = 0
        var doubleColonAt = -1
        var index = 0
        let count = bytes.count
        if count >= 2 && bytes[0] == UInt8(ascii: ":") {
            guard bytes[1] == UInt8(ascii: ":") else { return nil }
            doubleColonAt = 0
            index = 2
            if index == count { return (0, 0) }
        }
        while index < count {
            // Read one group, or an embedded IPv4 tail.
            var end = index
            var hasDot = false
            while end < count && bytes[end] != UInt8(ascii: ":") {
                if bytes[end] == UInt8(ascii: ".") { hasDot = true }
                end += 1
            }
            if hasDot {
                guard end == count, groupCount <= 8, let v4 = parseV4(bytes, from: index, to: end) else { return nil }
                groups[groupCount] = UInt16(v4 >> 16)
                groups[groupCount + 1] = UInt16(v4 & 0xFFFF)
                groupCount += 2
                index = end
                break
            }
            let length = end - index
            guard length >= 1, length <= 4 else { return nil }
            var value: UInt16 = 0
            for i in index..<end {
                guard let digit = hexValue(bytes[i]) else { return nil }
                value = value << 4 | UInt16(digit)
            }
            guard groupCount < 8 else { return nil }
            groups[groupCount] = value
            groupCount += 1
            index = end
            if index == count { break }
            // bytes[index] is ':'
            index += 1
            if index < count && bytes[index] == UInt8(ascii: ":") {
                guard doubleColonAt < 0 else { return nil }
                doubleColonAt = groupCount
                index += 1
                if index == count { break }
            } else if index == count {
                return nil  // trailing single colon
            }
        }
        if doubleColonAt >= 0 {
            guard groupCount < 8 else { return nil }
            // Move the groups after `::` to the end and zero the gap.
            let missing = 8 - groupCount
            var i = groupCount - 1
            while i >= doubleColonAt {
                groups[i + missing] = groups[i]
                i -= 1
            }
            for j in doubleColonAt..<(doubleColonAt + missing) { groups[j] = 0 }
            groupCount = 8
        }
        guard groupCount == 8 else { return nil }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for i in 0..<4 { high = high << 16 | UInt64(groups[i]) }
        for i in 4..<8 { low = low << 16 | UInt64(groups[i]) }
        return (high, low)
    }

    @inline(__always)
    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// The address with all bits after the first `prefixLength` cleared.
    public func masked(to prefixLength: Int) -> IPAddress {
        let width = bitWidth
        let length = max(0, min(prefixLength, width))
        if isV4 {
            let mask: UInt64 = length == 0 ? 0 : (UInt64(0xFFFF_FFFF) << UInt64(32 - length)) & 0xFFFF_FFFF
            return IPAddress(v4: UInt32(low & mask))
        }
        let highMask: UInt64 = length >= 64 ? .max : (length == 0 ? 0 : ~UInt64(0) << UInt64(64 - length))
        let lowMask: UInt64 = length <= 64 ? 0 : (length == 128 ? .max : ~UInt64(0) << UInt64(128 - length))
        return IPAddress(v6High: high & highMask, low: low & lowMask)
    }

    /// The network a user's address belongs to for "seen before" checks: the /24 for IPv4, the /48 for IPv6.
    public var neighbourhood: IPAddress { masked(to: isV4 ? 24 : 48) }

    /// Bit `index` counted from the most significant bit of the address (0-based).
    @inline(__always)
    public func bit(_ index: Int) -> Bool {
        if isV4 { return (low >> UInt64(31 - index)) & 1 == 1 }
        if index < 64 { return (high >> UInt64(63 - index)) & 1 == 1 }
        return (low >> UInt64(127 - index)) & 1 == 1
    }

    public var description: String {
        if isV4 {
            let v = UInt32(truncatingIfNeeded: low)
            return "\(v >> 24).\((v >> 16) & 0xFF).\((v >> 8) & 0xFF).\(v & 0xFF)"
        }
        var groups: [UInt16] = []
        for i in 0..<4 { groups.append(UInt16(truncatingIfNeeded: high >> UInt64(48 - 16 * i))) }
        for i in 0..<4 { groups.append(UInt16(truncatingIfNeeded: low >> UInt64(48 - 16 * i))) }
        // Longest run of zero groups (length >= 2) becomes "::".
        var bestStart = -1, bestLength = 0, runStart = -1
        for i in 0...8 {
            if i < 8 && groups[i] == 0 {
                if runStart < 0 { runStart = i }
            } else if runStart >= 0 {
                if i - runStart > bestLength { bestStart = runStart; bestLength = i - runStart }
                runStart = -1
            }
        }
        if bestLength < 2 { bestStart = -1 }
        var text = ""
        var i = 0
        while i < 8 {
            if i == bestStart {
                text += "::"
                i += bestLength
                continue
            }
            if !text.isEmpty && !text.hasSuffix(":") { text += ":" }
            text += String(groups[i], radix: 16)
            i += 1
        }
        return text
    }

    public static func < (lhs: IPAddress, rhs: IPAddress) -> Bool {
        if lhs.isV4 != rhs.isV4 { return lhs.isV4 }
        return (lhs.high, lhs.low) < (rhs.high, rhs.low)
    }
}
