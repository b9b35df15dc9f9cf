import Foundation
import Testing

/// `riskgate audit export`, `audit key` and `audit prune`: an export verifies on the receiving
/// side with the independent script in scripts/, and a pruned store still verifies.
@Suite("riskgate audit export and prune")
struct AuditExportCommandTests {
    /// Runs scripts/verify-audit-export.py as a SIEM would, with the audit keys and an export file.
    static func independentlyVerify(keys: String, export: String) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Repository.path("scripts/verify-audit-export.py"), keys, export]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }

    @Test func anExportVerifiesIndependentlyAndATamperedOneDoesNot() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let database = try await AuditCommandTests.stateWithTwoDecisions(in: folder)
        let export = try await CLIRunner.run(["audit", "export", database])
        export.expectStatus(0)
        let lines = export.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 2, "\(export)")
        let keys = folder.path("audit.keys")
        let key = try await CLIRunner.run(["audit", "key", "--secrets-key", database + ".key", "--output", keys])
        key.expectStatus(0)
        let mode = try FileManager.default.attributesOfItem(atPath: keys)[.posixPermissions] as? Int
        #expect(mode == 0o600)

        let file = folder.path("export.jsonl")
        try export.stdout.write(toFile: file, atomically: true, encoding: .utf8)
        let good = try Self.independentlyVerify(keys: keys, export: file)
        #expect(good.status == 0 && good.output.contains("valid: 2 records"), "\(good.output)")

        let tampered = export.stdout.replacingOccurrences(of: "\"outcome\":\"passive\"", with: "\"outcome\":\"deny\"")
        #expect(tampered != export.stdout)
        try tampered.write(toFile: file, atomically: true, encoding: .utf8)
        let bad = try Self.independentlyVerify(keys: keys, export: file)
        #expect(bad.status == 1, "\(bad.output)")
    }

    @Test func pruneRefusesUnexportedRecordsThenLeavesAVerifiableLog() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let database = try await AuditCommandTests.stateWithTwoDecisions(in: folder)
        let refused = try await CLIRunner.run(["audit", "prune", database, "--before", "2"])
        refused.expectStatus(2)
        #expect(refused.stderr.contains("not exported"), "\(refused)")

        try await CLIRunner.run(["audit", "export", database]).expectStatus(0)
        let pruned = try await CLIRunner.run(["audit", "prune", database, "--before", "2"])
        pruned.expectStatus(0)
        #expect(pruned.stdout.contains("\"through_id\":1"), "\(pruned)")

        let verify = try await CLIRunner.run(["audit", "verify", database])
        verify.expectStatus(0)
        #expect(verify.stdout.contains("audit log valid: 1 records, starting after record 1"), "\(verify)")
        let after = try await CLIRunner.run(["audit", "export", database])
        after.expectStatus(0)
        #expect(after.stdout.split(separator: "\n").count == 1 && after.stdout.contains("\"id\":2"), "\(after)")

        let twice = try await CLIRunner.run(["audit", "prune", database, "--before", "2"])
        twice.expectStatus(2)
        let beyond = try await CLIRunner.run(["audit", "prune", database, "--before", "9", "--unexported"])
        beyond.expectStatus(2)
    }

    @Test func badArgumentsAreUsageErrors() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let database = try await AuditCommandTests.stateWithTwoDecisions(in: folder)
        try await CLIRunner.run(["audit", "export", database, "--format", "csv"]).expectStatus(2)
        try await CLIRunner.run(["audit", "export", database, "--after", "-1"]).expectStatus(2)
        try await CLIRunner.run(["audit", "prune", database, "--before", "1"]).expectStatus(2)
        try await CLIRunner.run(["audit", "export", folder.path("missing.db")]).expectStatus(2)
    }
}
