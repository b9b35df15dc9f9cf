import Foundation
import Testing

/// Usage errors exit 2 (README.md), not argument-parser's 64, with a message on standard error.
@Suite("riskgate usage errors")
struct UsageErrorTests {
    @Test func helpExits0() async throws {
        let result = try await CLIRunner.run(["--help"])
        result.expectStatus(0)
        #expect(result.stdout.contains("USAGE: riskgate <subcommand>"), "\(result)")
    }

    /// A command group run without its subcommand says how to use it, on standard error, and exits 2.
    @Test(arguments: [[], ["audit"], ["account"], ["challenge"], ["import"]])
    func aGroupWithoutItsSubcommandExits2(arguments: [String]) async throws {
        let result = try await CLIRunner.run(arguments)
        result.expectStatus(2)
        #expect(result.stderr.contains("USAGE: riskgate"), "\(result)")
        #expect(result.stderr.contains("SUBCOMMANDS:"), "\(result)")
        #expect(result.stdout.isEmpty, "\(result)")
    }

    @Test func aGroupsHelpExits0() async throws {
        let result = try await CLIRunner.run(["audit", "--help"])
        result.expectStatus(0)
        #expect(result.stdout.contains("USAGE: riskgate audit <subcommand>"), "\(result)")
    }

    @Test("a bad command line exits 2", arguments: [
        (["frobnicate"], "Unexpected argument 'frobnicate'"),
        (["check", "--frobnicate", "policy.yaml"], "Unknown option '--frobnicate'"),
        (["check"], "Missing expected argument"),
        (["check", "--format", "xml", "policy.yaml"], "The value 'xml' is invalid for '--format <format>'"),
        (["decide"], "Missing expected argument '--policy <policy>'"),
        (["replay", "--policy", "p.yaml", "--dataset", "d.jsonl", "--threads", "0"], "--threads must be between 1 and"),
        (["import", "other-csv", "file.csv"], "2 unexpected arguments: 'other-csv', 'file.csv'"),
        (["generate", "--users", "ten", "--events", "5", "--seed", "1"], "The value 'ten' is invalid for '--users <users>'"),
        (["serve", "--policy", "p.yaml", "--tls-cert", "cert.pem"], "--tls-cert and --tls-key go together"),
        (["serve", "--policy", "p.yaml", "--rate-limit-per-key", "fast"], "--rate-limit-per-key must be RATE/s"),
        (["serve", "--policy", "p.yaml", "--trusted-proxy", "proxy.local"], "--trusted-proxy must be an IP address"),
    ])
    func usageError(arguments: [String], message: String) async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let result = try await CLIRunner.run(arguments, in: folder.url)
        result.expectStatus(2)
        #expect(result.stderr.contains(message), "\(result)")
        #expect(result.stdout.isEmpty, "\(result)")
    }
}
