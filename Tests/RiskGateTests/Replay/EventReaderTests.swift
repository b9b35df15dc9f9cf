import Foundation
import Testing
@testable import RiskGatePolicy
@testable import RiskGateReplay

/// Writes `text` to a fresh temporary file and returns its path.
func temporaryFile(_ text: String, name: String = "events.jsonl") throws -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("riskgate-replay-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let url = directory.appendingPathComponent(name)
    try Data(text.utf8).write(to: url)
    return url.path
}

func readAll(_ reader: EventReader) throws -> [ReplayEvent] {
    var events: [ReplayEvent] = []
    while let event = try reader.next() { events.append(event) }
    return events
}

@Suite struct EventReaderTests {
    func event(_ user: String, _ time: String, id: String? = nil) -> String {
        "{\"user\":\"\(user)\",\"time\":\"\(time)\"" + (id.map { ",\"id\":\"\($0)\"" } ?? "") + "}"
    }

    @Test func readsGoodLinesWithNumbers() throws {
        let text = [event("a", "2026-01-01T00:00:00Z"), "", "   ", event("b", "2026-01-01T00:00:01Z"),
                    event("c", "2026-01-01T00:00:01Z")].joined(separator: "\r\n") + "\r\n"
        let reader = try EventReader(path: try temporaryFile(text))
        let events = try readAll(reader)
        #expect(events.map(\.context.user) == ["a", "b", "c"])
        #expect(events.map(\.line) == [1, 4, 5])
        #expect(reader.badLineCount == 0)
        #expect(reader.lineNumber == 5)
        #expect(events[1].seconds == 1_767_225_601)
    }

    @Test func reportsEveryKindOfBadLineAndCarriesOn() throws {
        let lines = [
            event("a", "2026-01-01T00:00:10Z"),            // 1 ok
            "garbage",                                     // 2 not JSON
            #"{"user": 42, "time": "2026-01-01T00:00:11Z"}"#, // 3 wrong type
            #"{"time": "2026-01-01T00:00:11Z"}"#,          // 4 no user
            #"{"user": "b"}"#,                             // 5 no time
            event("c", "2026-01-01T00:00:05Z"),            // 6 out of order
            event("d", "2026-01-01T00:00:10Z"),            // 7 ok (equal time is in order)
            #"{"user": "e", "time": "2026-01-01T00:00:12Z", "geo": {"lat": "north"}}"#, // 8 wrong nested type
            event("f", "2026-01-01T00:00:13Z"),            // 9 ok
            #"{"user": "h", "time": "2026-01-01T00:00:14Z", "ip": "203.0.113.256"}"#, // 10 not an IP
            #"{"user": "i", "time": "2026-01-01T00:00:15Z", "result": "fail"}"#, // 11 not success or failure
            #"{"user": "j", "time": "2026-01-01T00:00:16Z", "geo": {"lat": 91}}"#, // 12 off the globe
            event("k", "2026-01-01T00:00:13Z"),            // 13 ok: the refused lines did not advance the clock
            #"{"user": "g", "time": "2026-01-01T00:00:14"#, // 14 truncated last line, no newline
        ]
        let reader = try EventReader(path: try temporaryFile(lines.joined(separator: "\n")))
        let events = try readAll(reader)
        #expect(events.map(\.context.user) == ["a", "d", "f", "k"])
        #expect(events.map(\.line) == [1, 7, 9, 13])
        #expect(reader.badLineCount == 10)
        #expect(reader.badLines.map(\.line) == [2, 3, 4, 5, 6, 8, 10, 11, 12, 14])
        let messages = Dictionary(uniqueKeysWithValues: reader.badLines.map { ($0.line, $0.message) })
        #expect(messages[2]?.contains("expected `{`") == true)
        #expect(messages[3]?.contains("`user`") == true)
        #expect(messages[4]?.contains("missing `user`") == true)
        #expect(messages[5]?.contains("missing `time`") == true)
        #expect(messages[6]?.contains("out of time order") == true)
        #expect(messages[8]?.contains("`geo.lat`") == true)
        #expect(messages[10] == "`ip` is not an IPv4 or IPv6 address")
        #expect(messages[11] == "`result` must be `success` or `failure`")
        #expect(messages[12]?.contains("`geo.lat` must be between") == true)
        #expect(messages[14]?.contains("truncated") == true)
    }

    @Test func keepsOnlyTheFirstBadLinesButCountsAll() throws {
        var options = EventReader.Options()
        options.maxBadLinesKept = 3
        let text = (0..<50).map { _ in "{" }.joined(separator: "\n") + "\n" + event("a", "2026-01-01T00:00:00Z") + "\n"
        let reader = try EventReader(path: try temporaryFile(text), options: options)
        #expect(try readAll(reader).count == 1)
        #expect(reader.badLineCount == 50)
        #expect(reader.badLines.map(\.line) == [1, 2, 3])
    }

    @Test func skipsHugeLinesWithoutBufferingThem() throws {
        var options = EventReader.Options()
        options.maxLineBytes = 1000
        options.chunkBytes = 4096
        let huge = #"{"user":"big","time":"2026-01-01T00:00:01Z","pad":""# + String(repeating: "x", count: 50_000) + "\"}"
        let middle = #"{"user":"mid","time":"2026-01-01T00:00:02Z","pad":""# + String(repeating: "y", count: 2_000) + "\"}"
        let text = [event("a", "2026-01-01T00:00:00Z"), huge, middle, event("b", "2026-01-01T00:00:03Z"), huge].joined(separator: "\n")
        let reader = try EventReader(path: try temporaryFile(text), options: options)
        let events = try readAll(reader)
        #expect(events.map(\.context.user) == ["a", "b"])
        #expect(reader.badLines.map(\.line) == [2, 3, 5])
        #expect(reader.badLines.allSatisfy { $0.message.contains("longer than 1000 bytes") })
    }

    @Test func streamsAcrossChunkBoundaries() throws {
        var options = EventReader.Options()
        options.chunkBytes = 4096
        var text = ""
        for i in 0..<2000 {
            text += #"{"user":"u\#(i)","time":"2026-01-01T00:00:00Z","id":"\#(String(repeating: "z", count: i % 97))"}"# + "\n"
        }
        let reader = try EventReader(path: try temporaryFile(text), options: options)
        let events = try readAll(reader)
        #expect(events.count == 2000)
        #expect(events.last?.context.user == "u1999")
        #expect(reader.bytesRead == Int64(text.utf8.count))
        #expect(reader.totalBytes == Int64(text.utf8.count))
    }

    @Test func missingFileIsAnIOError() {
        #expect(throws: ReplayError.self) { try EventReader(path: "/nonexistent/riskgate/events.jsonl") }
    }

    @Test func outOfOrderCanBeAllowed() throws {
        var options = EventReader.Options()
        options.requireTimeOrder = false
        let text = event("a", "2026-01-02T00:00:00Z") + "\n" + event("b", "2026-01-01T00:00:00Z") + "\n"
        let reader = try EventReader(path: try temporaryFile(text), options: options)
        #expect(try readAll(reader).count == 2)
    }
}
