import Foundation
import Testing

/// `riskgate import rba-csv`: the RBA data set's 16-column CSV to JSONL; bad rows are data
/// problems (1) named by line; an unreadable file is an I/O error (2).
@Suite("riskgate import rba-csv")
struct ImportCommandTests {
    static let header = "index,Login Timestamp,User ID,Round-Trip Time [ms],IP Address,Country,Region,City,ASN,"
        + "User Agent String,Browser Name and Version,OS Name and Version,Device Type,Login Successful,Is Attack IP,Is Account Takeover"

    /// Two rows in the data set's shape (the second an attack), as in its published sample.
    static let goodRows = [
        "0,2020-02-03 12:43:30.772,-4324475583306591935,,10.0.65.171,NO,-,-,29695,Mozilla/5.0 (iPhone; CPU iPhone OS 13_4 like Mac OS X),"
            + "Firefox 20.0.0.1618,iOS 13.4,mobile,False,False,False",
        #"1,2020-02-03 12:43:43.549,-4324475583306591935,,194.87.207.6,AU,-,-,60117,"Mozilla/5.0 (Linux; Android 4.1, Galaxy Nexus)","#
            + "Chrome Mobile 46.0.2490,Android 4.1,mobile,True,True,False",
    ]

    @Test func aCleanFileImports() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let csv = try folder.write("rba.csv", ([Self.header] + Self.goodRows).joined(separator: "\n") + "\n")
        let result = try await CLIRunner.run(["import", "rba-csv", csv])
        result.expectStatus(0)
        let events = try result.stdout.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any], "\($0)")
        }
        #expect(events.count == 2)
        #expect(events.first?["user"] as? String == "-4324475583306591935")
        #expect(events.first?["ip"] as? String == "10.0.65.171")
        #expect((events.last?["label"] as? [String: Any])?["attack"] as? Bool == true)
        #expect(result.stderr.contains("imported 2 events from 2 rows; 0 bad rows skipped"), "\(result)")
    }

    @Test func aBadRowExits1AndIsNamedByLine() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let bad = "7,not-a-time,42,,192.0.2.1,DE,-,-,3320,Mozilla/5.0,Firefox 1,Linux,desktop,True,False,False"
        let csv = try folder.write("rba.csv", ([Self.header, Self.goodRows[0], bad, Self.goodRows[1]]).joined(separator: "\n") + "\n")
        let output = folder.path("events.jsonl")
        let result = try await CLIRunner.run(["import", "rba-csv", csv, "--output", output])
        result.expectStatus(1)
        #expect(result.stderr.contains("\(csv):3: `Login Timestamp` is not a timestamp: `not-a-time`"), "\(result)")
        #expect(result.stderr.contains("imported 2 events from 3 rows; 1 bad rows skipped"), "\(result)")
        let written = try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n")
        #expect(written.count == 2, "the good rows around the bad one are still converted")
    }

    @Test func aRowWithTooFewColumnsIsBad() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let csv = try folder.write("rba.csv", [Self.header, "1,2020-02-03 12:43:43.549,42"].joined(separator: "\n") + "\n")
        let result = try await CLIRunner.run(["import", "rba-csv", csv])
        result.expectStatus(1)
        #expect(result.stderr.contains("\(csv):2: "), "\(result)")
    }

    @Test func aMissingFileExits2() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let missing = folder.path("missing.csv")
        let result = try await CLIRunner.run(["import", "rba-csv", missing])
        result.expectStatus(2)
        #expect(result.stderr.contains("cannot read `\(missing)`"), "\(result)")
        #expect(result.stdout.isEmpty)
    }
}
