import Foundation
import Testing

/// `riskgate serve` refuses secret files other users can get at, before it opens anything else.
@Suite("riskgate serve: keys and TLS files")
struct ServeSecurityTests {
    @Test func aKeysFileOthersCanReadIsRefused() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let keys = try folder.write("keys.txt", "cli-test-decide-key-0001 decide\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: keys)
        let result = try await CLIRunner.run(["serve", "--policy", Repository.webLogin, "--listen", "127.0.0.1:0", "--keys", keys],
                                             in: folder.url, timeout: 60)
        result.expectStatus(2)
        #expect(result.stderr.contains("keys file `\(keys)` has mode 644"), "\(result)")
        #expect(result.stderr.contains("chmod 600 \(keys)"), "\(result)")
        #expect(!result.stderr.contains("cli-test-decide-key"), "\(result)")
    }

    @Test func anUnreadableTLSFileIsNamed() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let missing = folder.path("cert.pem")
        let result = try await CLIRunner.run(["serve", "--policy", Repository.webLogin, "--listen", "127.0.0.1:0",
                                              "--tls-cert", missing, "--tls-key", folder.path("key.pem")],
                                             in: folder.url, timeout: 60)
        result.expectStatus(2)
        #expect(result.stderr.contains("cannot read TLS certificate file `\(missing)`"), "\(result)")
    }

    /// `off` turns a limit off (it was once refused as malformed); the start then fails later, on the missing keys file.
    @Test func rateLimitsCanBeTurnedOff() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let result = try await CLIRunner.run(["serve", "--policy", Repository.webLogin, "--listen", "127.0.0.1:0",
                                              "--rate-limit-per-key", "off", "--rate-limit-per-address", "off",
                                              "--rate-limit-auth-failures", "off", "--keys", folder.path("none.txt")],
                                             in: folder.url, timeout: 60)
        result.expectStatus(2)
        #expect(result.stderr.contains("cannot read keys file"), "\(result)")
    }
}
