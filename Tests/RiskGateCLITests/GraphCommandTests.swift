import Foundation
import Testing

/// `riskgate graph`: the compiled decision graph as dot, mermaid or JSON.
@Suite("riskgate graph")
struct GraphCommandTests {
    @Test("each format prints the graph", arguments: ["dot", "mermaid", "json"])
    func format(_ format: String) async throws {
        let result = try await CLIRunner.run(["graph", Repository.webLogin, "--format", format])
        result.expectStatus(0)
        switch format {
        case "dot":
            #expect(result.stdout.hasPrefix("digraph \"web-login\" {"), "\(result)")
            #expect(result.stdout.contains("banned"), "\(result)")
        case "mermaid":
            #expect(result.stdout.hasPrefix("flowchart"), "\(result)")
            #expect(result.stdout.contains("banned"), "\(result)")
        default:
            let graph = try #require(result.stdoutJSON as? [String: Any], "a JSON object: \(result)")
            let rules = try #require(graph["decide"] as? [[String: Any]], "\(result)")
            #expect(rules.first?["id"] as? String == "banned")
        }
    }

    @Test func dotIsTheDefault() async throws {
        let result = try await CLIRunner.run(["graph", Repository.webLogin])
        result.expectStatus(0)
        #expect(result.stdout.hasPrefix("digraph"), "\(result)")
    }

    @Test func anUnreadablePolicyExits2() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let missing = folder.path("missing.yaml")
        let result = try await CLIRunner.run(["graph", missing])
        result.expectStatus(2)
        #expect(result.stderr.contains("\(missing):1:1: error[RG1009]"), "\(result)")
        #expect(result.stdout.isEmpty, "\(result)")
    }

    @Test func aBrokenPolicyExits1() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let policy = try folder.write("broken.yaml", PolicyFixtures.broken)
        let result = try await CLIRunner.run(["graph", policy])
        result.expectStatus(1)
        #expect(result.stderr.contains("error[RG1301]"), "\(result)")
    }

    @Test func anUnknownFormatIsAUsageError() async throws {
        let result = try await CLIRunner.run(["graph", Repository.webLogin, "--format", "svg"])
        result.expectStatus(2)
        #expect(result.stderr.contains("unknown format `svg`"), "\(result)")
    }
}
