import RiskGateServer
import Testing

@Suite("API keys file")
struct APIKeyStoreTests {
    @Test func parsesKeysScopesAndComments() throws {
        let store = try TestKeys.store()
        #expect(store.count == 4)
        #expect(store.principal(for: Substring(TestKeys.decide))?.scopes == [.decide])
        #expect(store.principal(for: Substring(TestKeys.all))?.scopes == [.decide, .verify, .admin])
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
    ]

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

    @Test func missingFileIsAClearError() {
        #expect(throws: APIKeyFileError.self) { try APIKeyStore(contentsOf: "/nonexistent/keys.txt") }
    }
}
