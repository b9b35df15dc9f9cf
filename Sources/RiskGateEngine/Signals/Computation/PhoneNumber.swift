/// Phone numbers as `phone.ani_match` compares them, without allocating.
///
/// A number is its digits with a leading `+` kept (a leading `00` counts as `+`); spaces, dashes,
/// dots and brackets are dropped. Anything else, fewer than 3 digits or more than 19 make it invalid.
package struct PhoneNumber: Sendable, Hashable {
    package let international: Bool
    package let digitCount: Int
    package let digits: UInt64

    package init?(_ text: String?) {
        guard let text else { return nil }
        var plus = false
        var count = 0
        var value: UInt64 = 0
        var seenAny = false
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                count += 1
                guard count <= 19 else { return nil }
                value = value * 10 + UInt64(byte - UInt8(ascii: "0"))
                seenAny = true
            case UInt8(ascii: "+"):
                guard !seenAny, !plus else { return nil }
                plus = true
            case UInt8(ascii: " "), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "("), UInt8(ascii: ")"):
                continue
            default:
                return nil
            }
        }
        // `00` international prefix: the two leading zeros carry no value, so only the count changes.
        if !plus, count > 2, PhoneNumber.leadingZeros(text) >= 2 {
            plus = true
            count -= 2
        }
        guard count >= 3 else { return nil }
        international = plus
        digitCount = count
        digits = value
    }

    private static func leadingZeros(_ text: String) -> Int {
        var zeros = 0
        for byte in text.utf8 {
            if byte == UInt8(ascii: "0") { zeros += 1 } else if byte >= UInt8(ascii: "1") && byte <= UInt8(ascii: "9") { break }
        }
        return zeros
    }
}
