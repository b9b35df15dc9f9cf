import Foundation
import RiskGateServer
import Testing

@Suite("API keys file")
struct APIKeyStoreTests {
    @Test func parsesKeysScopesAndComments() throws {
        let store = try TestKeys.store()
        #expect(store.count == 6)
        #expect(store.principal(for: Substring(TestKeys.decide))?.scopes == [.decide])
        #expect(store.principal(for: Substring(TestKeys.all))?.scopes == [.decide, .verify, .admin, .metrics])
        #expect(store.principal(for: "test-decide-key-0002") == nil)
        #expect(store.principal(for: "") == nil)
        #expect(store.principal(for: Substring(String(repeating: "k", count: 10_000))) == nil)
        let id = try #require(store.principal(for: Substring(TestKeys.admin))?.keyID)
        #expect(id.count == 12)
        #expect(!TestKeys.admin.contains(id))
    }

    static let badFiles: [(text: String, line: Int, fragment: String)] = [
        ("", 0, "no keys"),
        ("# only a comment\n", 0, "no keys"),
        ("short decide\n", 1, "shorter than 16"),
        ("\nsecret-key-aaaaaaaaaa decide,root\n", 2, "unknown scope `root`"),
        ("secret-key-aaaaaaaaaa\n", 1, "expected `KEY SCOPE"),
        ("secret-key-aaaaaaaaaa decide extra\n", 1, "found 3 fields"),
        ("secret-key-aaaaaaaaaa decide\n# c\nsecret-key-aaaaaaaaaa admin\n", 3, "duplicate key"),
        ("secret-key-aaaaaaaaaa decide,,admin\n", 1, "unknown scope ``"),
        ("secret-key-aaaaaaaaä decide\n", 1, "printable ASCII"),
        ("sha256:abc decide\n", 1, "64 hex digits"),
        ("sha256:\(String(repeating: "g", count: 64)) decide\n", 1, "64 hex digits"),
        ("secret-key-aaaaaaaaaa metrics\nsha256:\(sha256OfSecretKey) admin\n", 2, "duplicate key"),
    ]
    /// `printf %s secret-key-aaaaaaaaaa | sha256sum`
    static let sha256OfSecretKey = "a469b5288a42273cad52689ee133443050f703a6a79e51d4ac23b3487db4085a"

    @Test(arguments: badFiles)
    func rejectsBadFiles(_ bad: (text: String, line: Int, fragment: String)) {
        do {
            _ = try APIKeyStore(parsing: bad.text)
            Issue.record("accepted a bad keys file")
        } catch let error as APIKeyFileError {
            #expect(error.line == bad.line)
            #expect(error.description.contains(bad.fragment), "\(error)")
            #expect(!error.description.contains("secret-key"), "an error must not echo the key")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test(arguments: [TestKeys.digestedSHA256, TestKeys.digestedSHA256.uppercased()])
    func digestEntriesAuthenticate(hex: String) throws {
        let store = try APIKeyStore(parsing: "sha256:\(hex) decide,verify\n")
        let principal = try #require(store.principal(for: Substring(TestKeys.digested)))
        #expect(principal.scopes == [.decide, .verify])
        // The same key id a plaintext entry of the key gets, so logs do not change when a file is converted.
        let plain = try APIKeyStore(parsing: "\(TestKeys.digested) decide\n")
        #expect(principal.keyID == plain.principal(for: Substring(TestKeys.digested))?.keyID)
        #expect(store.principal(for: Substring(TestKeys.digested + "x")) == nil)
        #expect(store.principal(for: Substring(TestKeys.decide)) == nil)
        // The digest itself is not a key.
        #expect(store.principal(for: Substring(hex)) == nil)
        #expect(store.principal(for: Substring("sha256:" + hex)) == nil)
    }

    /// Writes `text` to a fresh file with `mode`; returns its path.
    static func keysFile(_ text: String, mode: Int) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("keys-\(UUID().uuidString).txt").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        return path
    }

    @Test(arguments: [0o644, 0o604, 0o620, 0o602, 0o666])
    func keysFileOthersCanReadOrWriteIsRefused(mode: Int) throws {
        let path = try Self.keysFile(TestKeys.file, mode: mode)
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            _ = try APIKeyStore(contentsOf: path)
            Issue.record("accepted a keys file with mode \(String(mode, radix: 8))")
        } catch let error as APIKeyFileError {
            #expect(error.description.contains("chmod 600 \(path)"), "\(error)")
            #expect(error.description.contains("`\(path)`"), "\(error)")
            #expect(!error.description.contains("test-"), "an error must not echo a key")
        }
    }

    @Test(arguments: [0o600, 0o400, 0o640])
    func privateKeysFileIsAccepted(mode: Int) throws {
        let path = try Self.keysFile(TestKeys.file, mode: mode)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try APIKeyStore(contentsOf: path).count == 6)
    }

    @Test func missingFileIsAClearError() {
        #expect(throws: APIKeyFileError.self) { try APIKeyStore(contentsOf: "/nonexistent/keys.txt") }
    }
}
