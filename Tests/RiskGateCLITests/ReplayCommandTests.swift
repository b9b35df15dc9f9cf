import Foundation
import Testing

/// `riskgate replay`: the docs/replay.md report; bad lines are data problems (1) reported after the
/// whole report; an unreadable dataset is an I/O error (2).
@Suite("riskgate replay")
struct ReplayCommandTests {
    /// `datasets/handmade-labelled.jsonl`: 21 labelled events, in the repository.
    static let dataset = Repository.path("datasets/handmade-labelled.jsonl")

    /// The keys docs/replay.md requires of `--format json`.
    static let specKeys: Set<String> = [
        "events", "outcomes", "labels", "legit_friction", "attack_stop_rate", "takeovers_let_through",
        "score_auc", "bad_lines", "events_per_second", "peak_memory_bytes",
    ]

    /// The report as a JSON object, with the documented keys checked at the caller's line.
    static func report(_ result: CLIResult, sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
        let report = try #require(result.stdoutJSON as? [String: Any], "a JSON object: \(result)", sourceLocation: sourceLocation)
        let missing = specKeys.subtracting(report.keys)
        #expect(missing.isEmpty, "docs/replay.md keys missing: \(missing.sorted())", sourceLocation: sourceLocation)
        #expect(Set((report["outcomes"] as? [String: Any])?.keys.map { $0 } ?? [])
                    == ["passive", "otp", "otp_kba_delay", "agent_escalation", "deny"], sourceLocation: sourceLocation)
        #expect(Set((report["labels"] as? [String: Any])?.keys.map { $0 } ?? [])
                    == ["legit", "attack", "account_takeover", "unknown"], sourceLocation: sourceLocation)
        return report
    }

    @Test func theHandmadeDatasetReplaysAsJSON() async throws {
        let result = try await CLIRunner.run(["replay", "--policy", Repository.webLogin, "--dataset", Self.dataset, "--format", "json"])
        result.expectStatus(0)
        let report = try Self.report(result)
        #expect(report["events"] as? Int == 21)
        #expect(report["bad_lines"] as? Int == 0)
        let outcomes = try #require(report["outcomes"] as? [String: Int])
        #expect(outcomes.values.reduce(0, +) == 21)
        let labels = try #require(report["labels"] as? [String: Int])
        #expect(labels["legit"] == 15 && labels["attack"] == 6 && labels["account_takeover"] == 2, "\(labels)")
        #expect(report["score_auc"] is NSNumber, "both classes are present, so the AUC is a number")
    }

    @Test func theTableFormatIsTheDefault() async throws {
        let result = try await CLIRunner.run(["replay", "--policy", Repository.webLogin, "--dataset", Self.dataset])
        result.expectStatus(0)
        #expect(result.stdoutJSON == nil, "a table, not JSON: \(result)")
        #expect(result.stdout.contains("passive"), "\(result)")
    }

    @Test func aGarbageLineExits1AfterTheWholeReport() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let lines = try String(contentsOfFile: Self.dataset, encoding: .utf8).split(separator: "\n")
        let stream = try folder.write("stream.jsonl", (lines[0..<3] + ["this is not json"] + lines[3..<5]).joined(separator: "\n") + "\n")
        let html = folder.path("report.html")
        let result = try await CLIRunner.run(["replay", "--policy", Repository.webLogin, "--dataset", stream,
                                              "--format", "json", "--report", html])
        result.expectStatus(1)
        let report = try Self.report(result)
        #expect(report["events"] as? Int == 5)
        #expect(report["bad_lines"] as? Int == 1)
        let examples = try #require(report["bad_line_examples"] as? [[String: Any]], "\(result)")
        #expect(examples.first?["line"] as? Int == 4)
        #expect(result.stderr.contains("1 bad line skipped"), "\(result)")
        let page = try String(contentsOfFile: html, encoding: .utf8)
        #expect(page.contains("<html"), "the HTML report is still written")
    }

    @Test func aMissingDatasetExits2() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let missing = folder.path("missing.jsonl")
        let result = try await CLIRunner.run(["replay", "--policy", Repository.webLogin, "--dataset", missing, "--format", "json"])
        result.expectStatus(2)
        #expect(result.stderr.contains("cannot open dataset `\(missing)`"), "\(result)")
        #expect(result.stdout.isEmpty, "no report: \(result)")
    }

    @Test func aBrokenPolicyExits1() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let policy = try folder.write("broken.yaml", PolicyFixtures.broken)
        let result = try await CLIRunner.run(["replay", "--policy", policy, "--dataset", Self.dataset])
        result.expectStatus(1)
        #expect(result.stderr.contains("error[RG1301]"), "\(result)")
    }

    @Test func aBaselineAddsTheComparison() async throws {
        let result = try await CLIRunner.run([
            "replay", "--policy", Repository.webLogin, "--baseline", Repository.path("policies/high-risk-actions.yaml"),
            "--dataset", Self.dataset, "--format", "json",
        ])
        result.expectStatus(0)
        let report = try Self.report(result)
        let baseline = try #require(report["baseline"] as? [String: Any], "a baseline object: \(result)")
        #expect(baseline["outcomes"] is [String: Any])
        #expect(baseline["changed"] is NSNumber)
        #expect(baseline["transitions"] != nil, "the transition matrix: \(baseline.keys.sorted())")
    }

    @Test func anUnreadableBaselineExits2() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let result = try await CLIRunner.run([
            "replay", "--policy", Repository.webLogin, "--baseline", folder.path("missing.yaml"), "--dataset", Self.dataset,
        ])
        result.expectStatus(2)
        #expect(result.stderr.contains("error[RG1009]"), "\(result)")
    }
}
