import Foundation
import Testing

/// `riskgate check`: 0 clean, 1 errors (or warnings with `--strict`), 2 unreadable files.
@Suite("riskgate check")
struct CheckCommandTests {
    @Test func theExamplePoliciesAreFound() {
        #expect(Repository.examplePolicies.count >= 3, "policies/*.yaml in \(Repository.root.path)")
    }

    @Test("an example policy checks clean", arguments: Repository.examplePolicies)
    func examplePolicyIsClean(file: String) async throws {
        let result = try await CLIRunner.run(["check", Repository.path("policies/\(file)")])
        result.expectStatus(0)
        #expect(result.stdout.isEmpty, "no diagnostics: \(result)")
        #expect(result.stderr.contains("checked 1 policy: 0 errors, 0 warnings"), "\(result)")
    }

    @Test func aPolicyWithAnErrorExits1WithFileLineColumn() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let policy = try folder.write("broken.yaml", PolicyFixtures.broken)
        let result = try await CLIRunner.run(["check", policy])
        result.expectStatus(1)
        #expect(result.stdout.contains("\(policy):4:23: error[RG1301]: unknown signal or setting `geo.velocity_km`"), "\(result)")
        #expect(result.stdout.contains("= help: did you mean `geo.velocity_kmh`?"), "\(result)")
        #expect(result.stderr.contains("checked 1 policy: 1 error, 0 warnings"), "\(result)")
    }

    @Test func jsonFormatIsAnArrayOfDiagnostics() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let policy = try folder.write("broken.yaml", PolicyFixtures.broken)
        let result = try await CLIRunner.run(["check", "--format", "json", policy])
        result.expectStatus(1)
        let array = try #require(result.stdoutJSON as? [[String: Any]], "a JSON array of objects: \(result)")
        let diagnostic = try #require(array.first)
        #expect(array.count == 1)
        #expect(Set(diagnostic.keys) == ["code", "severity", "message", "file", "line", "column", "help"])
        #expect(diagnostic["code"] as? String == "RG1301")
        #expect(diagnostic["severity"] as? String == "error")
        #expect(diagnostic["file"] as? String == policy)
        #expect(diagnostic["line"] as? Int == 4)
        #expect(diagnostic["column"] as? Int == 23)
        #expect((diagnostic["message"] as? String)?.contains("geo.velocity_km") == true)
        #expect(diagnostic["help"] as? String == "did you mean `geo.velocity_kmh`?")
    }

    @Test func jsonFormatOfACleanPolicyIsAnEmptyArray() async throws {
        let result = try await CLIRunner.run(["check", "--format", "json", Repository.webLogin])
        result.expectStatus(0)
        #expect((result.stdoutJSON as? [Any])?.isEmpty == true, "\(result)")
    }

    @Test func aWarningPassesUnlessStrict() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let policy = try folder.write("shadowed.yaml", PolicyFixtures.warning)
        let lenient = try await CLIRunner.run(["check", policy])
        lenient.expectStatus(0)
        #expect(lenient.stdout.contains("\(policy):5:5: warning[RG1602]:"), "\(lenient)")

        let strict = try await CLIRunner.run(["check", "--strict", policy])
        strict.expectStatus(1)
        #expect(strict.stdout.contains("\(policy):5:5: warning[RG1602]:"), "\(strict)")
    }

    @Test func aMissingFileExits2() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let missing = folder.path("missing.yaml")
        let result = try await CLIRunner.run(["check", missing])
        result.expectStatus(2)
        #expect(result.stdout.contains("\(missing):1:1: error[RG1009]: file does not exist"), "\(result)")

        let json = try await CLIRunner.run(["check", "--format", "json", missing])
        json.expectStatus(2)
        #expect((json.stdoutJSON as? [[String: Any]])?.first?["code"] as? String == "RG1009", "\(json)")
    }

    @Test func anUnreadableFileWinsOverPolicyErrors() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let broken = try folder.write("broken.yaml", PolicyFixtures.broken)
        let result = try await CLIRunner.run(["check", broken, folder.path("missing.yaml")])
        result.expectStatus(2)
        #expect(result.stdout.contains("error[RG1301]"), "both files are still reported: \(result)")
        #expect(result.stdout.contains("error[RG1009]"), "\(result)")
    }
}
