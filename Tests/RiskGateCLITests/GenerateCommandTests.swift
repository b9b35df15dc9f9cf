import Foundation
import Testing

/// `riskgate generate`: a synthetic labelled JSONL stream, the same for the same seed.
@Suite("riskgate generate")
struct GenerateCommandTests {
    static let arguments = ["generate", "--users", "10", "--events", "50", "--seed", "1"]

    @Test func theSameSeedGivesTheSameValidStream() async throws {
        // Run in a temporary folder: the default `--ip-lists ../shared/datasets/ip` is relative
        // to it and absent there, so both runs use the built-in attack networks.
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let first = try await CLIRunner.run(Self.arguments, in: folder.url)
        let second = try await CLIRunner.run(Self.arguments, in: folder.url)
        first.expectStatus(0)
        second.expectStatus(0)
        #expect(first.stdoutData == second.stdoutData, "two runs with seed 1 differ")
        #expect(first.stderr.contains("generated 50 events for 10 users"), "\(first)")

        let lines = first.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.last == "", "the stream ends with a newline")
        let events = lines.dropLast()
        #expect(events.count == 50)
        for (number, line) in events.enumerated() {
            let event = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(event?["user"] is String && event?["time"] is String, "line \(number + 1): \(line)")
        }
        let labelled = events.filter { $0.contains(#""label":"#) }
        #expect(labelled.count == 50, "every generated event is labelled")
    }

    @Test func anotherSeedGivesAnotherStream() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let one = try await CLIRunner.run(Self.arguments, in: folder.url)
        let two = try await CLIRunner.run(["generate", "--users", "10", "--events", "50", "--seed", "2"], in: folder.url)
        one.expectStatus(0)
        two.expectStatus(0)
        #expect(one.stdoutData != two.stdoutData)
    }

    @Test func anOutputFileHoldsTheSameStream() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let output = folder.path("events.jsonl")
        let toFile = try await CLIRunner.run(Self.arguments + ["--output", output], in: folder.url)
        let toStdout = try await CLIRunner.run(Self.arguments, in: folder.url)
        toFile.expectStatus(0)
        #expect(toFile.stdout.isEmpty)
        #expect(try Data(contentsOf: URL(fileURLWithPath: output)) == toStdout.stdoutData)
    }

    @Test func noUsersIsAUsageError() async throws {
        let result = try await CLIRunner.run(["generate", "--users", "0", "--events", "5", "--seed", "1"])
        result.expectStatus(2)
        #expect(result.stderr.contains("--users must be at least 1"), "\(result)")
    }
}
