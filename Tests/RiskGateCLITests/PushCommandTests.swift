import Foundation
import Testing

/// The `openssl` command line, when installed (scripts/setup.sh installs it).
private let opensslPath: String? = ["/usr/bin/openssl", "/usr/local/bin/openssl"].first { FileManager.default.isExecutableFile(atPath: $0) }

/// `riskgate account set --push-key-file`, `challenge issue --push` and `challenge verify --step push`,
/// with the device key made and the answer signed by the `openssl` command line (docs/push.md).
@Suite("riskgate push approvals", .enabled(if: opensslPath != nil, "needs the openssl command line"))
struct PushCommandTests {
    /// Runs `openssl arguments...` (a short run: waited for on the calling thread).
    static func runOpenSSL(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(opensslPath))
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "openssl \(arguments)", sourceLocation: sourceLocation)
        return data
    }

    @Test func registerIssueAndVerifyAPush() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let key = folder.path("k"), db = folder.path("state.db"), phone = folder.path("phone.pem")
        try await CLIRunner.run(["keygen", key]).expectStatus(0)
        _ = try Self.runOpenSSL(["genpkey", "-algorithm", "ed25519", "-out", phone])
        let pem = try Self.runOpenSSL(["pkey", "-in", phone, "-pubout"])
        let common = ["--state", db, "--secrets-key", key, "--user", "u-42"]

        // No device yet: an operator push cannot be sent (the challenge fails over).
        try await CLIRunner.run(["account", "set"] + common + ["--phone", "+4915112345678"]).expectStatus(0)
        let none = try await CLIRunner.run(["challenge", "issue"] + common + ["--push", "--channel", "voice"])
        none.expectStatus(1)
        #expect((none.stdoutJSON as? [String: Any])?["outcome"] as? String == "agent_escalation", "\(none)")

        // Flags that do not go together, and a file that is no key.
        try await CLIRunner.run(["account", "set"] + common + ["--push-device-id", "phone-1"]).expectStatus(2)
        try await CLIRunner.run(["account", "set"] + common + ["--push-key-file", "-", "--secret-file", "-"], stdin: pem).expectStatus(2)
        let notAKey = try folder.write("nokey.pem", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
        let refused = try await CLIRunner.run(["account", "set"] + common + ["--push-key-file", notAKey])
        refused.expectStatus(2)
        #expect(refused.stderr.contains("push key"), "\(refused)")

        let set = try await CLIRunner.run(["account", "set"] + common + ["--push-key-file", "-", "--push-device-id", "phone-1"], stdin: pem)
        set.expectStatus(0)
        #expect((set.stdoutJSON as? [String: Any])?["push_device"] as? String == "phone-1", "\(set)")

        let issued = try await CLIRunner.run(["challenge", "issue"] + common + ["--push", "--channel", "voice"])
        issued.expectStatus(0)
        let summary = try #require(issued.stdoutJSON as? [String: Any], "\(issued)")
        let id = try #require(summary["id"] as? String)
        let number = try #require((summary["push"] as? [String: Any])?["number"] as? Int)
        let outbox = try await CLIRunner.run(["challenge", "outbox", "--state", db, "--secrets-key", key])
        let line = try #require(outbox.stdout.split(separator: "\n").first { $0.contains("\"push\"") }, "\(outbox)")
        let envelope = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        let body = try #require(envelope["body"] as? String)
        let message = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
        let nonce = try #require(message["nonce"] as? String)

        func sign(_ response: String, _ number: Int) throws -> String {
            let text = try folder.write("answer.txt", "riskgate-push-v1\n\(id)\n\(nonce)\n\(response)\n\(number)")
            return try Self.runOpenSSL(["pkeyutl", "-sign", "-inkey", phone, "-rawin", "-in", text]).base64EncodedString()
        }
        let verify = ["challenge", "verify", "--state", db, "--secrets-key", key, "--challenge", id, "--step", "push"]
        // A signature over another number: failed, and counted.
        let other = number == 99 ? 98 : number + 1
        let wrong = try await CLIRunner.run(verify + ["--response", "approve", "--number", String(number), "--signature", try sign("approve", other)])
        wrong.expectStatus(1)
        #expect((wrong.stdoutJSON as? [String: Any])?["reason"] as? String == "wrong_response", "\(wrong)")
        try await CLIRunner.run(verify + ["--response", "approve", "--signature", "%%"]).expectStatus(2)

        let passed = try await CLIRunner.run(verify + ["--response", "approve", "--number", String(number), "--signature", try sign("approve", number)])
        passed.expectStatus(0)
        #expect((passed.stdoutJSON as? [String: Any])?["complete"] as? Bool == true, "\(passed)")
        let shown = try await CLIRunner.run(["account", "show"] + common)
        #expect((shown.stdoutJSON as? [String: Any])?["failures"] as? Int == 0, "a passed challenge clears the failures: \(shown)")

        let removed = try await CLIRunner.run(["account", "set"] + common + ["--remove-push-device"])
        removed.expectStatus(0)
        #expect((removed.stdoutJSON as? [String: Any])?["push_device"] == nil, "\(removed)")
    }
}
