import Foundation
import Testing
@testable import RiskGateEngine
@testable import RiskGatePolicy

@Suite struct TimestampFormatTests {
    /// The string-building formatter the fast one replaced, kept to pin the exact output.
    func reference(_ date: Date) -> String {
        let t = date.timeIntervalSince1970
        let whole = Int(t.rounded(.down))
        let millis = Int(((t - Double(whole)) * 1000).rounded())
        var days = whole / 86400
        var rem = whole % 86400
        if rem < 0 { rem += 86400; days -= 1 }
        let (y, m, d) = Timestamp.civilFromDays(days)
        func pad(_ v: Int, _ w: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, w - s.count)) + s
        }
        var text = "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(rem / 3600, 2)):\(pad(rem % 3600 / 60, 2)):\(pad(rem % 60, 2))"
        if millis > 0 && millis < 1000 { text += ".\(pad(millis, 3))" }
        return text + "Z"
    }

    @Test func knownValues() {
        #expect(Timestamp.format(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00Z")
        #expect(Timestamp.format(Date(timeIntervalSince1970: 1_795_000_000.125)) == "2026-11-18T11:06:40.125Z")
        #expect(Timestamp.format(Date(timeIntervalSince1970: -1)) == "1969-12-31T23:59:59Z")
        // 0.9996 s rounds to 1000 ms, which the format drops rather than carries.
        #expect(Timestamp.format(Date(timeIntervalSince1970: 59.9996)) == "1970-01-01T00:00:59Z")
    }

    @Test func matchesReferenceOnRandomDates() {
        var generator = SeededRandom(seed: 5)
        for _ in 0..<20_000 {
            let seconds: Double
            switch Int.random(in: 0..<3, using: &generator) {
            case 0: seconds = Double(Int.random(in: -70_000_000_000 ... 260_000_000_000, using: &generator))
            case 1: seconds = Double(Int.random(in: 0 ... 4_000_000_000_000, using: &generator)) / 1000
            default: seconds = Double.random(in: -80_000_000_000 ... 300_000_000_000, using: &generator)
            }
            let date = Date(timeIntervalSince1970: seconds)
            #expect(Timestamp.format(date) == reference(date), "\(seconds)")
        }
    }

    @Test func formattedTimesParseBack() {
        var generator = SeededRandom(seed: 6)
        for _ in 0..<2000 {
            let ms = Int.random(in: 0 ... 4_000_000_000_000, using: &generator)
            let text = Timestamp.format(Date(timeIntervalSince1970: Double(ms) / 1000))
            guard let parsed = Timestamp.parse(text) else { Issue.record("unparsable \(text)"); continue }
            #expect(abs(parsed.timeIntervalSince1970 * 1000 - Double(ms)) < 0.01, "\(text)")
        }
    }
}
