import Foundation
import Testing
@testable import RiskGateEngine

/// The first rows of the public RBA login data set, relative to the project root.
let rbaSamplePath = "../shared/datasets/rba-login-sample/rba-dataset_head18.csv"

@Suite("User agent parsing")
struct UserAgentTests {
    struct Case: Sendable, CustomStringConvertible {
        let ua: String, browser: String, os: String, device: UserAgent.DeviceType
        var description: String { browser }
    }

    static let cases: [Case] = [
        Case(ua: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.110 Safari/537.36",
             browser: "Chrome 120", os: "Windows 10", device: .desktop),
        Case(ua: "Mozilla/5.0 (Windows NT 6.1; WOW64; Trident/7.0; rv:11.0) like Gecko",
             browser: "IE 11", os: "Windows 7", device: .desktop),
        Case(ua: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36 Edg/119.0.2151.97",
             browser: "Edge 119", os: "Windows 10", device: .desktop),
        Case(ua: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15",
             browser: "Safari 17", os: "Mac OS X 10", device: .desktop),
        Case(ua: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1.2 Mobile/15E148 Safari/604.1",
             browser: "Mobile Safari 17", os: "iOS 17", device: .mobile),
        Case(ua: "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/119.0.6045.169 Mobile/15E148 Safari/604.1",
             browser: "Chrome Mobile iOS 119", os: "iOS 16", device: .tablet),
        Case(ua: "Mozilla/5.0 (Linux; Android 13; SM-S908B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36",
             browser: "Samsung Internet 23", os: "Android 13", device: .mobile),
        Case(ua: "Mozilla/5.0 (Linux; Android 12; SM-X200) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36",
             browser: "Chrome 119", os: "Android 12", device: .tablet),
        Case(ua: "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
             browser: "Firefox 120", os: "Ubuntu", device: .desktop),
        Case(ua: "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
             browser: "Other", os: "Other", device: .bot),
        Case(ua: "curl/8.4.0", browser: "Other", os: "Other", device: .bot),
        Case(ua: "", browser: "Other", os: "Other", device: .unknown),
    ]

    @Test("common user agents", arguments: cases)
    func common(_ c: Case) {
        let ua = UserAgent(parsing: c.ua)
        #expect(ua.browser == c.browser, "\(c.ua)")
        #expect(ua.os == c.os, "\(c.ua)")
        #expect(ua.deviceType == c.device, "\(c.ua)")
    }

    @Test("huge and hostile headers are parsed from a bounded prefix")
    func bounded() {
        let huge = "Mozilla/5.0 (Windows NT 10.0) Chrome/99.0 " + String(repeating: "A(;/", count: 2_000_000)
        let ua = UserAgent(parsing: huge)
        #expect(ua.browser == "Chrome 99")
        // Tokens past the parsed prefix are ignored.
        let late = String(repeating: "x", count: UserAgent.parsedPrefix) + " Firefox/100"
        #expect(UserAgent(parsing: late).browserName == "Other")
        let binary = String(decoding: (0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 37) }, as: UTF8.self)
        _ = UserAgent(parsing: binary)
    }

    /// The RBA data set ships its own parsed browser, OS and device columns; our parse must agree
    /// on family and major version, except where the synthesized string contradicts the column.
    @Test("agrees with the RBA data set's parsed columns",
          .enabled(if: FileManager.default.fileExists(atPath: rbaSamplePath)))
    func rbaSample() throws {
        let text = try String(contentsOfFile: rbaSamplePath, encoding: .utf8)
        let rows = text.split(separator: "\n").dropFirst().map { UserAgentTests.csvFields(String($0)) }
        #expect(rows.count == 19)  // "head18" holds rows 0 through 18
        // Rows 2, 14, 15: the string is iPad Mobile Safari, the column says "Android 2.3.3" (synthesis artefact).
        let browserArtefacts: Set<String> = ["2", "14", "15"]
        // Row 13: the column says Chromecast, the string carries no CrKey token.
        let osArtefacts: Set<String> = ["13"]
        var compared = 0
        for row in rows {
            try #require(row.count == 16, "row \(row.first ?? "?") has \(row.count) fields")
            let ua = UserAgent(parsing: row[9])
            if !browserArtefacts.contains(row[0]) {
                #expect(ua.browser == UserAgentTests.familyAndMajor(row[10]), "row \(row[0]): \(row[9])")
                compared += 1
            }
            if !osArtefacts.contains(row[0]) {
                #expect(ua.os == UserAgentTests.familyAndMajor(row[11]), "row \(row[0]): \(row[9])")
            }
            // iPads are tablets for us; the column calls them mobile.
            let expectedDevice = row[9].contains("iPad") ? "tablet" : row[12]
            #expect(ua.deviceType.rawValue == expectedDevice, "row \(row[0]): \(row[9])")
        }
        #expect(compared == 16)
    }


    /// `Chrome Mobile 46.0.2490` → `Chrome Mobile 46`; `Mac OS X 10.14.6` → `Mac OS X 10`.
    static func familyAndMajor(_ column: String) -> String {
        var words = column.split(separator: " ").map(String.init)
        guard let last = words.last, let first = last.first, first.isNumber else { return column }
        words[words.count - 1] = String(last.prefix { $0.isNumber })
        return words.joined(separator: " ")
    }

    /// Splits one CSV line with double-quoted fields.
    static func csvFields(_ line: String) -> [String] {
        var fields: [String] = [], current = "", quoted = false
        var chars = line.makeIterator()
        while let c = chars.next() {
            if quoted {
                if c == "\"" { quoted = false } else { current.append(c) }
            } else if c == "\"" {
                quoted = true
            } else if c == "," {
                fields.append(current); current = ""
            } else {
                current.append(c)
            }
        }
        fields.append(current)
        return fields
    }
}
