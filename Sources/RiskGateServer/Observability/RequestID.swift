/// Request ids: 128 bits from the operating system's CSPRNG (`SystemRandomNumberGenerator`,
/// getrandom(2) on Linux) as 32 lowercase hex digits.
///
/// Hummingbird's own ids count up from a random start, so one response's id tells a client the
/// ids of the requests before and after it (and roughly how many requests others sent). The
/// service replaces it in the log metadata and the `X-Request-Id` header with one of these.
enum RequestID {
    /// Length of an id in characters.
    static let length = 32
    private static let digits = Array("0123456789abcdef".utf8)

    static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        let high = generator.next()
        let low = generator.next()
        return String(unsafeUninitializedCapacity: length) { out in
            for i in 0..<16 {
                let word = i < 8 ? high : low
                let byte = UInt8(truncatingIfNeeded: word >> (UInt64(7 - i % 8) * 8))
                out[2 * i] = digits[Int(byte >> 4)]
                out[2 * i + 1] = digits[Int(byte & 0xF)]
            }
            return length
        }
    }
}
