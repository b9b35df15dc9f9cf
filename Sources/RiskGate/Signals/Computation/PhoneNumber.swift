/// Phone numbers as `phone.ani_match` compares them.
package enum PhoneNumber {
    /// Digits with a leading `+` kept (a leading `00` becomes `+`); spaces, dashes, dots and
    /// brackets dropped. Nil with fewer than 3 digits or with any other character.
    package static func normalise(_ text: String?) -> String? {
        guard let text, text.utf8.count <= 64 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        var digits = 0
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                out.append(byte)
                digits += 1
            case UInt8(ascii: "+"):
                guard out.isEmpty else { return nil }
                out.append(byte)
            case UInt8(ascii: " "), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "("), UInt8(ascii: ")"):
                continue
            default:
                return nil
            }
        }
        guard digits >= 3 else { return nil }
        if out.count > 2, out[0] == UInt8(ascii: "0"), out[1] == UInt8(ascii: "0") {
            out.removeFirst(2)
            out.insert(UInt8(ascii: "+"), at: 0)
        }
        return String(decoding: out, as: UTF8.self)
    }
}
