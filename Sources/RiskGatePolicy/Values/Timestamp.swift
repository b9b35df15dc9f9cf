import Foundation

/// Fast, allocation-free ISO 8601 / RFC 3339 timestamps (`2026-11-20T10:00:00Z`, `...00.123+01:00`).
///
/// Also accepts a space instead of `T` and a missing zone (read as UTC), as found in CSV exports.
public enum Timestamp {
    /// Parses a timestamp; `nil` when it is not one (wrong shape, month 13, hour 25, ...).
    public static func parse<S: StringProtocol>(_ text: S) -> Date? {
        var copy = String(text)
        return copy.withUTF8 { parse(utf8: UnsafeRawBufferPointer($0)) }
    }

    /// Parses a timestamp from UTF-8 bytes.
    public static func parse(utf8 b: UnsafeRawBufferPointer) -> Date? {
        guard let seconds = epochSeconds(utf8: b) else { return nil }
        return Date(timeIntervalSince1970: seconds)
    }

    /// Seconds since 1970 for a timestamp in UTF-8 bytes.
    public static func epochSeconds(utf8 b: UnsafeRawBufferPointer) -> Double? {
        let n = b.count
        guard n >= 19 else { return nil }
        func digits(_ start: Int, _ count: Int) -> Int? {
            var v = 0
            for i in start..<(start + count) {
                let c = b[i]
                guard c >= 48, c <= 57 else { return nil }
                v = v * 10 + Int(c - 48)
            }
            return v
        }
        guard let year = digits(0, 4), b[4] == 45, let month = digits(5, 2), b[7] == 45,
              let day = digits(8, 2), b[10] == 84 || b[10] == 116 || b[10] == 32,
              let hour = digits(11, 2), b[13] == 58, let minute = digits(14, 2), b[16] == 58,
              let second = digits(17, 2)
        else { return nil }
        guard (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year),
              hour <= 23, minute <= 59, second <= 60
        else { return nil }
        var index = 19
        var fraction = 0.0
        if index < n && (b[index] == 46 || b[index] == 44) {
            index += 1
            var scale = 0.1
            let start = index
            while index < n, b[index] >= 48, b[index] <= 57 {
                fraction += Double(b[index] - 48) * scale
                scale /= 10
                index += 1
            }
            guard index > start else { return nil }
        }
        var offset = 0
        if index < n {
            let c = b[index]
            if c == 90 || c == 122 {
                index += 1
            } else if c == 43 || c == 45 {
                guard index + 6 <= n, let oh = digits(index + 1, 2), b[index + 3] == 58,
                      let om = digits(index + 4, 2), oh <= 23, om <= 59
                else { return nil }
                offset = (oh * 3600 + om * 60) * (c == 43 ? 1 : -1)
                index += 6
            } else {
                return nil
            }
        }
        guard index == n else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = days * 86400 + hour * 3600 + minute * 60 + second - offset
        return Double(seconds) + fraction
    }

    /// Formats a date as `YYYY-MM-DDTHH:MM:SS(.mmm)Z`.
    ///
    /// Called for every audit record, so years 0...9999 are written straight into the string's storage.
    public static func format(_ date: Date) -> String {
        let t = date.timeIntervalSince1970
        let whole = Int(t.rounded(.down))
        let millis = Int(((t - Double(whole)) * 1000).rounded())
        var days = whole / 86400
        var rem = whole % 86400
        if rem < 0 { rem += 86400; days -= 1 }
        let (y, m, d) = civilFromDays(days)
        // A fraction that rounds to 1000 ms is dropped, not carried (as this format always did).
        let fraction = millis > 0 && millis < 1000
        guard (0...9999).contains(y) else {
            return paddedFormat(year: y, month: m, day: d, seconds: rem, millis: fraction ? millis : nil)
        }
        return String(unsafeUninitializedCapacity: fraction ? 24 : 20) { out in
            func put(_ value: Int, _ width: Int, at index: Int) {
                var v = value
                for i in stride(from: index + width - 1, through: index, by: -1) {
                    out[i] = UInt8(truncatingIfNeeded: 0x30 + v % 10)
                    v /= 10
                }
            }
            put(y, 4, at: 0); out[4] = 0x2D
            put(m, 2, at: 5); out[7] = 0x2D
            put(d, 2, at: 8); out[10] = 0x54
            put(rem / 3600, 2, at: 11); out[13] = 0x3A
            put(rem % 3600 / 60, 2, at: 14); out[16] = 0x3A
            put(rem % 60, 2, at: 17)
            guard fraction else { out[19] = 0x5A; return 20 }
            out[19] = 0x2E
            put(millis, 3, at: 20)
            out[23] = 0x5A
            return 24
        }
    }

    /// The general form, for years outside 0...9999 (zero-padded to four characters, sign included).
    private static func paddedFormat(year y: Int, month m: Int, day d: Int, seconds rem: Int, millis: Int?) -> String {
        func pad(_ v: Int, _ w: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, w - s.count)) + s
        }
        var text = "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(rem / 3600, 2)):\(pad(rem % 3600 / 60, 2)):\(pad(rem % 60, 2))"
        if let millis { text += ".\(pad(millis, 3))" }
        return text + "Z"
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    // Howard Hinnant's days_from_civil.
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    package static func civilFromDays(_ z0: Int) -> (Int, Int, Int) {
        let z = z0 + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }
}
