import Foundation
import Testing

/// `riskgate test`: policy test files; 1 when a case fails or a file cannot run, 2 for I/O errors.
@Suite("riskgate test")
struct TestCommandTests {
    @Test func theExampleTestsPass() async throws {
        let result = try await CLIRunner.run(["test", Repository.path("policies/tests")])
        result.expectStatus(0)
        #expect(result.stdout.contains("web-login.test.yaml"), "\(result)")
        #expect(!result.stdout.contains("FAIL"), "\(result)")
        let summary = try #require(result.stdout.split(separator: "\n").last, "\(result)")
        #expect(summary.hasSuffix(" passed, 0 failed"), "\(result)")
        #expect(!summary.hasPrefix("0 passed"), "cases ran: \(result)")
    }

    @Test func aFailingExpectationExits1() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let file = try folder.write("wrong.test.yaml", """
            policy: \(Repository.webLogin)
            cases:
              - name: a quiet sign-in is passive
                context: \(PolicyFixtures.context)
                expect: { outcome: passive }
              - name: a quiet sign-in is denied
                context: \(PolicyFixtures.context)
                expect: { outcome: deny }

            """)
        let result = try await CLIRunner.run(["test", file])
        result.expectStatus(1)
        #expect(result.stdout.contains("  pass  a quiet sign-in is passive"), "\(result)")
        #expect(result.stdout.contains("  FAIL  a quiet sign-in is denied"), "\(result)")
        #expect(result.stdout.contains("line 6: outcome: expected `deny`, got `passive`"), "\(result)")
        #expect(result.stdout.contains("1 passed, 1 failed"), "\(result)")
    }

    @Test func aTestFileWhosePolicyHasErrorsExits1() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        try folder.write("broken.yaml", PolicyFixtures.broken)
        let file = try folder.write("broken.test.yaml", """
            policy: broken.yaml
            cases:
              - { name: any, context: { user: alice }, expect: { outcome: passive } }

            """)
        let result = try await CLIRunner.run(["test", file])
        result.expectStatus(1)
        #expect(result.stdout.contains("error[RG1301]"), "\(result)")
        #expect(result.stdout.contains("1 file could not run"), "\(result)")
    }

    @Test func aMissingPathExits2() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let missing = folder.path("missing.test.yaml")
        let result = try await CLIRunner.run(["test", missing])
        result.expectStatus(2)
        #expect(result.stderr.contains("`\(missing)` does not exist"), "\(result)")
    }

    @Test func aTestFileThatIsNotUTF8Exits2() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let file = try folder.write("latin1.test.yaml", Data([0x70, 0x6F, 0x6C, 0x69, 0x63, 0x79, 0x3A, 0x20, 0xE9, 0x0A]))
        let result = try await CLIRunner.run(["test", file])
        result.expectStatus(2)
        #expect(result.stdout.contains("\(file):1:1: error[RG1009]"), "\(result)")
    }

    @Test func aTestFileWhosePolicyIsMissingExits2() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let file = try folder.write("orphan.test.yaml", """
            policy: missing.yaml
            cases:
              - { name: any, context: { user: alice }, expect: { outcome: passive } }

            """)
        let result = try await CLIRunner.run(["test", file])
        result.expectStatus(2)
        #expect(result.stdout.contains("error[RG1009]: file does not exist"), "\(result)")
    }

    @Test func aFolderWithoutTestFilesExits1() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let result = try await CLIRunner.run(["test", folder.url.path])
        result.expectStatus(1)
        #expect(result.stderr.contains("holds no *.test.yaml files"), "\(result)")
    }

    /// `--coverage` names the rules no case reached; `--coverage-min` fails below it.
    @Test func coverageListsTheRulesNoCaseReached() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        try folder.write("small.yaml", """
            riskgate: 1
            policy: small
            score:
              rules:
                - { id: tor, when: 'channel == "voice"', points: 40 }
                - { id: never, when: 'channel == "agent"', points: 5 }
            decide:
              - { id: agent, when: 'channel == "agent"', outcome: deny }
              - { id: high, when: score >= 40, outcome: otp }
              - { id: default, outcome: passive }

            """)
        try folder.write("small.test.yaml", """
            policy: small.yaml
            cases:
              - name: quiet
                context: { user: u-1, channel: web }
                expect: { outcome: passive, rule: default }
              - name: voice
                context: { user: u-2, channel: voice }
                expect: { rule: high }

            """)
        let text = try await CLIRunner.run(["test", folder.path("small.test.yaml"), "--coverage"])
        text.expectStatus(0)
        #expect(text.stdout.contains("3/5 rules (60.0%); not reached: agent, never"), "\(text)")
        let json = try await CLIRunner.run(["test", folder.path("small.test.yaml"), "--coverage", "--format", "json"])
        json.expectStatus(0)
        let report = try #require(json.stdoutJSON as? [String: Any], "\(json)")
        #expect(report["uncovered"] as? [String] == ["agent", "never"])
        #expect((report["policy"] as? String)?.hasSuffix("small.yaml") == true)
        #expect(json.stderr.contains("2 passed, 0 failed"), "case results go to standard error: \(json)")
        try await CLIRunner.run(["test", folder.path("small.test.yaml"), "--coverage-min", "60"]).expectStatus(0)
        let below = try await CLIRunner.run(["test", folder.path("small.test.yaml"), "--coverage-min", "61"])
        below.expectStatus(1)
        #expect(below.stderr.contains("coverage below"), "\(below)")
        try await CLIRunner.run(["test", folder.path("small.test.yaml"), "--coverage-min", "101"]).expectStatus(2)
    }
}
