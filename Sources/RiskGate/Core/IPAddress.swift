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

    /// Number of bits in an address of this family (32 or 128).
    public var bitWidth: Int { isV4 ? 32 : 128 }

    /// Parses dotted-quad IPv4 or RFC 4291 IPv6 text (with `::` and an embedded IPv4 tail).
    ///
    /// Returns `nil` for anything else, including leading zeros that would make an octet ambiguous,
    /// zone identifiers and surrounding whitespace.
    public init?<S: StringProtocol>(_ text: S) {
        var utf8 = Array(text.utf8)
        if utf8.count > 45 || utf8.isEmpty { return nil }
        if utf8.contains(UInt8(ascii: ":")) {
            guard let (h, l) = IPAddress.parseV6(&utf8) else { return nil }
            self.init(v6High: h, low: l)
        } else {
            guard let v = IPAddress.parseV4(utf8[...]) else { return nil }
            self.init(v4: v)
        }
    }

    static func parseV4(_ bytes: ArraySlice<UInt8>) -> UInt32? {
        var result: UInt32 = 0
        var octets = 0
        var current: UInt32 = 0
        var digits = 0
        var leadingZero = false
        for byte in bytes {
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

    static func parseV6(_ bytes: inout [UInt8]) -> (UInt64, UInt64)? {
        var groups: [UInt16] = []
        groups.reserveCapacity(8)
        var doubleColonAt: Int? = nil
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
                guard end == count, let v4 = parseV4(bytes[index..<end]) else { return nil }
                groups.append(UInt16(v4 >> 16))
                groups.append(UInt16(v4 & 0xFFFF))
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
            groups.append(value)
            guard groups.count <= 8 else { return nil }
            index = end
            if index == count { break }
            // bytes[index] is ':'
            index += 1
            if index < count && bytes[index] == UInt8(ascii: ":") {
                guard doubleColonAt == nil else { return nil }
                doubleColonAt = groups.count
                index += 1
                if index == count { break }
            } else if index == count {
                return nil  // trailing single colon
            }
        }
        if let at = doubleColonAt {
            guard groups.count < 8 else { return nil }
            let missing = 8 - groups.count
            groups.insert(contentsOf: repeatElement(0, count: missing), at: at)
        }
        guard groups.count == 8 else { return nil }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for i in 0..<4 { high = high << 16 | UInt64(groups[i]) }
        for i in 4..<8 { low = low << 16 | UInt64(groups[i]) }
        return (high, low)
    }

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
