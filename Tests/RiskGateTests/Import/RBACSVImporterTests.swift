import Foundation
import Testing
@testable import RiskGatePolicy
@testable import RiskGateReplay

@Suite struct RBACSVImporterTests {
    static let header = RBACSVImporter.columns.joined(separator: ",")

    /// A good row with the given user agent field text (already CSV-quoted if needed).
    static func row(_ index: Int, ua: String = "Mozilla/5.0", asn: String = "29695", country: String = "NO",
                    ip: String = "10.0.65.171", time: String = "2020-02-03 12:43:30.772",
                    success: String = "True", attack: String = "False", ato: String = "False") -> String {
        "\(index),\(time),-4324475583306591935,,\(ip),\(country),-,-,\(asn),\(ua),Chrome 1,iOS 13.4,mobile,\(success),\(attack),\(ato)"
    }

    struct Result {
        var events: [RequestContext]
        var lines: [String]
        var bad: [RBACSVImporter.BadRow]
        var summary: RBACSVImporter.Summary
    }

    func importText(_ text: String, chunkSize: Int = 1 << 16, maxLineBytes: Int = 1 << 20,
                    sourceLocation: SourceLocation = #_sourceLocation) throws -> Result {
        let writer = EventWriter(sink: .memory, bufferSize: 4096)
        var bad: [RBACSVImporter.BadRow] = []
        let summary = try RBACSVImporter(maxLineBytes: maxLineBytes)
            .run(source: MemoryByteSource(text, chunkSize: chunkSize), writer: writer) { bad.append($0) }
        let lines = writer.collectedText.split(separator: "\n").map(String.init)
        let decoder = JSONDecoder()
        let events = try lines.map { try decoder.decode(RequestContext.self, from: Data($0.utf8)) }
        #expect(events.count == summary.events, sourceLocation: sourceLocation)
        return Result(events: events, lines: lines, bad: bad, summary: summary)
    }

    @Test func mapsAllColumnsOfAGoodRow() throws {
        let r = try importText(Self.header + "\n" + Self.row(7, success: "False", attack: "True", ato: "False") + "\n")
        #expect(r.bad.isEmpty)
        #expect(r.summary.sawHeader)
        let e = try #require(r.events.first)
        #expect(e.id == "7")
        #expect(e.user == "-4324475583306591935")
        #expect(e.time.map(Timestamp.format) == "2020-02-03T12:43:30.772Z")
        #expect(e.channel == "web")
        #expect(e.action == "login")
        #expect(e.ip == "10.0.65.171")
        #expect(e.geo?.country == "NO")
        #expect(e.geo?.asn == 29695)
        #expect(e.device?.userAgent == "Mozilla/5.0")
        #expect(e.result == "failure")
        #expect(e.label == RequestContext.Label(attack: true, accountTakeover: false))
    }

    @Test func quotedFieldsKeepCommasAndDoubledQuotes() throws {
        let ua = #""Mozilla/5.0 (Linux; Android 4.1) AppleWebKit/537.36 (KHTML, like Gecko) ""Quoted"", end""#
        let r = try importText(Self.header + "\n" + Self.row(1, ua: ua) + "\n")
        #expect(r.bad.isEmpty)
        #expect(r.events.first?.device?.userAgent == #"Mozilla/5.0 (Linux; Android 4.1) AppleWebKit/537.36 (KHTML, like Gecko) "Quoted", end"#)
    }

    @Test func crlfLineEndingsAreAccepted() throws {
        let text = [Self.header, Self.row(0), Self.row(1, ua: "\"a, b\"")].joined(separator: "\r\n") + "\r\n"
        let r = try importText(text)
        #expect(r.bad.isEmpty)
        #expect(r.events.map(\.id) == ["0", "1"])
        #expect(r.events[0].label?.accountTakeover == false)
        #expect(r.events[1].device?.userAgent == "a, b")
    }

    /// A `User ID` replay would refuse (over 256 bytes, control characters) is a bad row here.
    @Test func userIDsReplayWouldRefuseAreBadRows() throws {
        func row(user: String) -> String {
            Self.row(9).replacingOccurrences(of: "-4324475583306591935", with: user)
        }
        let text = [row(user: String(repeating: "7", count: 256)), row(user: String(repeating: "7", count: 257)),
                    row(user: "\"a\u{1}b\"")].joined(separator: "\n") + "\n"
        let r = try importText(text)
        #expect(r.events.count == 1)
        #expect(r.bad.map(\.line) == [2, 3])
        #expect(r.bad.first?.problem == "`User ID` is longer than 256 bytes")
    }

    /// A spreadsheet export's byte-order mark before the header is not part of it.
    @Test func byteOrderMarkBeforeTheHeaderIsSkipped() throws {
        for ending in ["\n", "\r\n"] {
            let r = try importText("\u{FEFF}" + [Self.header, Self.row(0)].joined(separator: ending) + ending)
            #expect(r.bad.isEmpty)
            #expect(r.summary.sawHeader)
            #expect(r.events.map(\.id) == ["0"])
        }
        // Without a header, the first row still imports.
        let headless = try importText("\u{FEFF}" + Self.row(4) + "\n")
        #expect(headless.bad.isEmpty)
        #expect(headless.events.map(\.id) == ["4"])
    }

    @Test func emptyFieldsAreLeftOut() throws {
        let r = try importText(Self.row(3, ua: "", asn: "", country: "-", ip: "") + "\n")
        #expect(r.bad.isEmpty)
        let e = try #require(r.events.first)
        #expect(e.ip == nil)
        #expect(e.geo == nil)
        #expect(e.device == nil)
        #expect(!r.lines[0].contains("\"ip\""))
    }

    @Test func badRowsAreReportedWithLineNumbersAndSkipped() throws {
        let text = [
            Self.header,
            Self.row(0),
            "this is garbage",
            Self.row(2, time: "2020-13-03 12:43:30"),
            Self.row(3, success: "yes"),
            Self.row(4, attack: "Truee"),
            Self.row(5, ua: "\"never closed"),
            Self.row(6, asn: "AS12"),
            Self.row(7, ua: "\"closed\" then text"),
            "",
            Self.row(9),
            Self.row(10) + ",extra",
            Self.row(11, ip: "10.0.65.1711"),
        ].joined(separator: "\n") + "\n"
        let r = try importText(text)
        #expect(r.events.map(\.id) == ["0", "9"])
        #expect(r.bad.map(\.line) == [3, 4, 5, 6, 7, 8, 9, 12, 13])
        #expect(r.summary.badRows == 9)
        #expect(r.bad[0].problem == "expected 16 columns, found 1")
        #expect(r.bad[1].problem.contains("Login Timestamp"))
        #expect(r.bad[2].problem.contains("Login Successful"))
        #expect(r.bad[3].problem.contains("Is Attack IP"))
        #expect(r.bad[4].problem.contains("unterminated quote"))
        #expect(r.bad[5].problem.contains("ASN"))
        #expect(r.bad[6].problem.contains("after a closing quote"))
        #expect(r.bad[7].problem == "expected 16 columns, found 17")
        #expect(r.bad[8].problem == "`IP Address` is not an IPv4 or IPv6 address")
    }

    @Test func truncatedLastLineIsABadRow() throws {
        let full = Self.row(1, ua: "\"Mozilla/5.0 (X11; Linux)\"")
        let cut = String(full.prefix(60))
        let r = try importText(Self.header + "\n" + Self.row(0) + "\n" + cut)
        #expect(r.events.count == 1)
        #expect(r.bad.count == 1)
        #expect(r.bad.first?.line == 3)
        #expect(r.bad.first?.problem.hasPrefix("truncated line: ") == true)
    }

    @Test func lastLineWithoutNewlineIsStillImported() throws {
        let r = try importText(Self.header + "\n" + Self.row(0) + "\n" + Self.row(1))
        #expect(r.bad.isEmpty)
        #expect(r.events.count == 2)
    }

    @Test(arguments: [1, 2, 7, 64, 333])
    func chunkBoundariesDoNotChangeTheOutput(chunkSize: Int) throws {
        let rows = (0..<40).map { i in Self.row(i, ua: i % 3 == 0 ? "\"x, \"\"y\"\", z\"" : "plain-\(i)") }
        let text = ([Self.header] + rows).joined(separator: i(chunkSize) ? "\r\n" : "\n")
        let reference = try importText(text)
        let chunked = try importText(text, chunkSize: chunkSize)
        #expect(chunked.lines == reference.lines)
        #expect(chunked.events.count == 40)
    }

    private func i(_ n: Int) -> Bool { n % 2 == 1 }

    @Test func overlongLinesAreSkippedWithBoundedMemory() throws {
        let long = Self.row(1, ua: String(repeating: "A", count: 5000))
        let r = try importText([Self.row(0), long, Self.row(2)].joined(separator: "\n"), chunkSize: 100, maxLineBytes: 1024)
        #expect(r.events.map(\.id) == ["0", "2"])
        #expect(r.bad.map(\.line) == [2])
        #expect(r.bad.first?.problem.contains("longer than") == true)
    }

    @Test func invalidUTF8IsReplacedSoTheLineStillDecodes() throws {
        var bytes = Array((Self.row(0, ua: "Mozilla") + "\n").utf8)
        let at = try #require(bytes.firstIndex(of: UInt8(ascii: "z")))
        bytes.insert(contentsOf: [0xFF, 0xC3], at: at)
        let writer = EventWriter(sink: .memory)
        let summary = try RBACSVImporter().run(source: MemoryByteSource(bytes), writer: writer) { _ in }
        #expect(summary.events == 1)
        let e = try JSONDecoder().decode(RequestContext.self, from: Data(writer.collected.dropLast()))
        #expect(e.device?.userAgent == "Mo\u{FFFD}\u{FFFD}zilla")
    }

    static let samplePath = "../shared/datasets/rba-login-sample/rba-dataset_head18.csv"

    /// The shared sample holds the first rows of the real file (index 0 to 18: 19 rows, no final newline).
    @Test(.enabled(if: FileManager.default.fileExists(atPath: samplePath), "needs ../shared/datasets"))
    func sharedSampleImportsEveryRow() throws {
        let writer = EventWriter(sink: .memory)
        var bad: [RBACSVImporter.BadRow] = []
        let summary = try RBACSVImporter().run(source: try FileByteSource(path: Self.samplePath), writer: writer) { bad.append($0) }
        #expect(bad.isEmpty)
        #expect(summary.sawHeader)
        let lines = writer.collectedText.split(separator: "\n")
        #expect(lines.count == 19)
        #expect(summary.events == 19)
        let events = try lines.map { try JSONDecoder().decode(RequestContext.self, from: Data($0.utf8)) }
        #expect(events.map(\.id) == (0...18).map(String.init))
        #expect(events[1].device?.userAgent?.contains("(KHTML, like Gecko Chrome/46.0.2490.76") == true)
        #expect(events.filter { $0.label?.attack == true }.map(\.id) == ["4", "5"])
        #expect(events.filter { $0.result == "success" }.count == 7)
    }
}
