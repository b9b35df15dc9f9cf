import CSQLite
import Foundation
import Testing

/// Secrets on the command line: the key file, secrets read from files or standard input (never
/// argv), private files, and audit anchors.
@Suite("riskgate keygen, account secrets, audit head")
struct SecretsCommandTests {
    static func mode(_ path: String) throws -> Int {
        try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
    }

    @Test func keygenWritesAPrivateFileRefusesToReplaceItAndRotates() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let key = folder.path("secrets.key")
        let made = try await CLIRunner.run(["keygen", key])
        made.expectStatus(0)
        #expect(try Self.mode(key) == 0o600)
        let text = try String(contentsOfFile: key, encoding: .utf8)
        #expect(!made.stdout.contains(text.split(separator: " ").last.map(String.init) ?? "-"), "keygen printed the key")
        try await CLIRunner.run(["keygen", key]).expectStatus(2)
        try await CLIRunner.run(["keygen", "--rotate", key]).expectStatus(0)
        #expect(try String(contentsOfFile: key, encoding: .utf8).split(separator: "\n").filter { $0.hasPrefix("riskgate-key-v1") }.count == 2)
    }

    @Test func secretsComeFromFilesOrStandardInputNeverArguments() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        try await CLIRunner.run(["keygen", folder.path("k")]).expectStatus(0)
        let database = folder.path("state.db")
        // The old flags put answers and PINs where `ps` shows them: they are gone.
        try await CLIRunner.run(["account", "set", "--state", database, "--secrets-key", folder.path("k"), "--user", "u-1",
                                 "--kba", "first pet=Rex"]).expectStatus(2)
        try await CLIRunner.run(["account", "set", "--state", database, "--secrets-key", folder.path("k"), "--user", "u-1",
                                 "--secret", "4711"]).expectStatus(2)
        let kba = try folder.write("kba.txt", "# questions\nfirst pet=Rex\nbirth city=Rosebud Springs\n")
        let result = try await CLIRunner.run(["account", "set", "--state", database, "--secrets-key", folder.path("k"),
                                              "--user", "u-1", "--kba-file", kba, "--secret-file", "-"],
                                             stdin: Data("tulip7castle\n".utf8))
        result.expectStatus(0)
        let summary = try #require(result.stdoutJSON as? [String: Any], "\(result)")
        #expect(summary["kba_questions"] as? [String] == ["first pet", "birth city"])
        #expect(summary["secret_set"] as? Bool == true)
        for file in ["state.db", "state.db-wal", "state.db-shm"] where FileManager.default.fileExists(atPath: folder.path(file)) {
            #expect(try Self.mode(folder.path(file)) & 0o077 == 0, "\(file)")
        }
        let bytes = try Data(contentsOf: URL(fileURLWithPath: database))
        for secret in ["tulip7castle", "Rosebud", "rosebud springs"] {
            #expect(bytes.range(of: Data(secret.utf8)) == nil, "`\(secret)` in the database")
        }
    }

    @Test func aKeyFileOthersCanReadIsRefused() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let key = folder.path("k")
        try await CLIRunner.run(["keygen", key]).expectStatus(0)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: key)
        let result = try await CLIRunner.run(["decide", "--policy", Repository.webLogin, "--state", folder.path("s.db"),
                                              "--secrets-key", key], stdin: Data(PolicyFixtures.context.utf8))
        result.expectStatus(2)
        #expect(result.stderr.contains("chmod 600"), "\(result)")
        // The environment variable names it too.
        let viaEnvironment = try await CLIRunner.run(["audit", "head", folder.path("s.db")],
                                                     environment: ["RISKGATE_SECRETS_KEY": key])
        viaEnvironment.expectStatus(2)
    }

    @Test func aTruncatedTailWithItsHeadDeletedFailsAgainstAnAnchor() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let database = try await AuditCommandTests.stateWithTwoDecisions(in: folder)
        let head = try await CLIRunner.run(["audit", "head", database])
        head.expectStatus(0)
        let json = try #require(head.stdoutJSON as? [String: Any], "\(head)")
        let records = try #require(json["records"] as? Int)
        let hash = try #require(json["hash"] as? String)
        #expect(records == 2)
        try AuditCommandTests.execute("DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE id = 2;", on: database)
        try AuditCommandTests.execute("DELETE FROM audit_head;", on: database)
        try await CLIRunner.run(["audit", "verify", database]).expectStatus(0)
        let anchored = try await CLIRunner.run(["audit", "verify", database, "--anchor", "\(records):\(hash)"])
        anchored.expectStatus(1)
        #expect(anchored.stdout.contains("anchor"), "\(anchored)")
        try await CLIRunner.run(["audit", "verify", database, "--anchor", "junk"]).expectStatus(2)
    }
}
