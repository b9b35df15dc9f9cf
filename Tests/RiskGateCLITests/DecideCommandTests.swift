import Foundation
import Testing

/// `riskgate decide`: one decision as JSON; 1 for a policy with errors, 2 for unreadable input.
@Suite("riskgate decide")
struct DecideCommandTests {
    static let outcomes: Set<String> = ["passive", "otp", "otp_kba_delay", "agent_escalation", "deny"]

    @Test func aContextOnStandardInputIsDecided() async throws {
        let result = try await CLIRunner.run(["decide", "--policy", Repository.webLogin, "--context", "-"],
                                             stdin: Data(PolicyFixtures.context.utf8))
        result.expectStatus(0)
        let decision = try #require(result.stdoutJSON as? [String: Any], "a JSON object: \(result)")
        let outcome = try #require(decision["outcome"] as? String, "\(result)")
        #expect(Self.outcomes.contains(outcome))
        #expect(decision["rule"] is String)
        #expect(decision["score"] is NSNumber)
        #expect((decision["policy"] as? [String: Any])?["name"] as? String == "web-login")
    }

    @Test func aContextFileIsDecidedAndExplained() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let context = try folder.write("context.json", PolicyFixtures.context)
        let result = try await CLIRunner.run(["decide", "--policy", Repository.webLogin, "--context", context, "--explain"])
        result.expectStatus(0)
        let decision = try #require(result.stdoutJSON as? [String: Any], "\(result)")
        #expect(decision["outcome"] is String)
        #expect(decision["explanation"] != nil, "--explain adds the explanation: \(result)")
    }

    @Test func aContextThatIsNotJSONExits2() async throws {
        let result = try await CLIRunner.run(["decide", "--policy", Repository.webLogin, "--context", "-"],
                                             stdin: Data("user=alice\n".utf8))
        result.expectStatus(2)
        #expect(result.stderr.contains("error: invalid context: not valid JSON"), "\(result)")
        #expect(result.stdout.isEmpty, "no decision: \(result)")
    }

    @Test func aContextWithoutAUserExits2() async throws {
        let result = try await CLIRunner.run(["decide", "--policy", Repository.webLogin],
                                             stdin: Data(#"{"channel":"web"}"#.utf8))
        result.expectStatus(2)
        #expect(result.stderr.contains("error: invalid context:"), "\(result)")
    }

    @Test func aMissingContextFileExits2() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let missing = folder.path("missing.json")
        let result = try await CLIRunner.run(["decide", "--policy", Repository.webLogin, "--context", missing])
        result.expectStatus(2)
        #expect(result.stderr.contains("cannot read `\(missing)`"), "\(result)")
    }

    @Test func anUnreadablePolicyExits2() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let missing = folder.path("missing.yaml")
        let result = try await CLIRunner.run(["decide", "--policy", missing, "--context", "-"],
                                             stdin: Data(PolicyFixtures.context.utf8))
        result.expectStatus(2)
        #expect(result.stderr.contains("\(missing):1:1: error[RG1009]"), "\(result)")
    }

    @Test func aBrokenPolicyExits1() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let policy = try folder.write("broken.yaml", PolicyFixtures.broken)
        let result = try await CLIRunner.run(["decide", "--policy", policy, "--context", "-"],
                                             stdin: Data(PolicyFixtures.context.utf8))
        result.expectStatus(1)
        #expect(result.stderr.contains("\(policy):4:23: error[RG1301]"), "\(result)")
        #expect(result.stdout.isEmpty, "no decision: \(result)")
    }
}
