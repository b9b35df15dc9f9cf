/// ISO 3166-1 alpha-2 country codes as signals compare them.
package enum CountryCode {
    /// The upper-case code for two ASCII letters (any case); nil for anything else.
    package static func normalise(_ text: String?) -> String? {
        guard let text else { return nil }
        let utf8 = text.utf8
        guard utf8.count == 2 else { return nil }
        var letters: (UInt8, UInt8) = (0, 0)
        for (i, byte) in utf8.enumerated() {
            let upper: UInt8
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): upper = byte
            case UInt8(ascii: "a")...UInt8(ascii: "z"): upper = byte - 32
            default: return nil
            }
            if i == 0 { letters.0 = upper } else { letters.1 = upper }
        }
        if utf8.first == letters.0 && utf8.last == letters.1 { return text }
        return String(decoding: [letters.0, letters.1], as: UTF8.self)
    }
}
