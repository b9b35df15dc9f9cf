import CSQLite
import Foundation
import Testing

/// `riskgate audit verify`: 0 for an intact hash chain, 1 for a tampered one, 2 when the store
/// cannot be opened.
@Suite("riskgate audit verify")
struct AuditCommandTests {
    /// A state store holding the audit records of two decisions made by `riskgate decide --state`.
    static func stateWithTwoDecisions(in folder: TemporaryDirectory) async throws -> String {
        let database = folder.path("state.db")
        for time in ["2026-09-07T08:00:00Z", "2026-09-07T09:00:00Z"] {
            let context = PolicyFixtures.context.replacingOccurrences(of: "2026-09-07T08:00:00Z", with: time)
            let decided = try await CLIRunner.run(["decide", "--policy", Repository.webLogin, "--state", database],
                                                  stdin: Data(context.utf8))
            decided.expectStatus(0)
        }
        return database
    }

    @Test func theLogWrittenByDecideVerifies() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let database = try await Self.stateWithTwoDecisions(in: folder)
        let result = try await CLIRunner.run(["audit", "verify", database])
        result.expectStatus(0)
        #expect(result.stdout.contains("\(database): audit log valid: 2 records"), "\(result)")

        let json = try await CLIRunner.run(["audit", "verify", database, "--format", "json"])
        json.expectStatus(0)
        let verification = try #require(json.stdoutJSON as? [String: Any], "\(json)")
        #expect(verification["valid"] as? Bool == true)
    }

    @Test func aChangedRecordBreaksTheChain() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let database = try await Self.stateWithTwoDecisions(in: folder)
        // The store refuses updates through a trigger; someone with write access to the file can
        // drop it, which is what the hash chain is for.
        try Self.execute("""
            DROP TRIGGER audit_no_update;
            UPDATE audit SET outcome = 'deny' WHERE id = (SELECT min(id) FROM audit);
            """, on: database)
        let result = try await CLIRunner.run(["audit", "verify", database])
        result.expectStatus(1)
        #expect(result.stdout.contains("audit log broken at record"), "\(result)")
    }

    @Test func aMissingDatabaseExits2() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let missing = folder.path("missing.db")
        let result = try await CLIRunner.run(["audit", "verify", missing])
        result.expectStatus(2)
        #expect(result.stderr.contains("no database file"), "\(result)")
        #expect(!FileManager.default.fileExists(atPath: missing), "verify must not create the store")
    }

    @Test func aFileThatIsNotADatabaseExits2() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let file = try folder.write("garbage.db", String(repeating: "not a database\n", count: 100))
        let result = try await CLIRunner.run(["audit", "verify", file])
        result.expectStatus(2)
        #expect(result.stderr.contains("store error"), "\(result)")
    }

    /// Runs SQL on the database at `path` and expects it to change one row: the tampering someone
    /// with write access to the file could do.
    static func execute(_ sql: String, on path: String) throws {
        var connection: OpaquePointer?
        defer { sqlite3_close(connection) }
        guard sqlite3_open_v2(path, &connection, SQLITE_OPEN_READWRITE, nil) == SQLITE_OK else {
            throw SQLError(message: "cannot open `\(path)`: \(String(cString: sqlite3_errmsg(connection)))")
        }
        var error: UnsafeMutablePointer<CChar>?
        guard sqlite3_exec(connection, sql, nil, nil, &error) == SQLITE_OK else {
            defer { sqlite3_free(error) }
            throw SQLError(message: error.map { String(cString: $0) } ?? "sqlite3_exec failed")
        }
        #expect(sqlite3_changes(connection) == 1, "one audit record changed by `\(sql)`")
    }

    struct SQLError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }
}
