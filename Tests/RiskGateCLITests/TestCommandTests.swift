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
}
