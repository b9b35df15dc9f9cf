import CSQLite
import Foundation
import Testing
@testable import RiskGate
@testable import RiskGateEngine

/// `audit prune` and `audit export` in the library: a pruned log still verifies from its keyed
/// checkpoint, and a checkpoint moved or forged by someone without the key does not.
@Suite struct AuditPruneTests {
    let chain = AuditChainTests()

    func stores(_ dir: TempDirectory) throws -> [(String, any StateStore)] {
        [("memory", MemoryStateStore()), ("sqlite", try SQLiteStateStore(path: dir.path("prune.db")))]
    }

    @Test func aPrunedLogVerifiesFromItsCheckpointAndKeepsChaining() throws {
        let dir = TempDirectory()
        defer { dir.cleanup() }
        for (name, store) in try stores(dir) {
            try store.commit(StateChange(audit: chain.events(5)))
            let checkpoint = try store.pruneAudit(through: 3, at: Date(timeIntervalSince1970: 1_790_000_100))
            #expect(checkpoint.throughID == 3, "\(name)")
            #expect(try store.auditCheckpoint() == checkpoint, "\(name)")
            #expect(try store.auditEntries().map(\.id) == [4, 5], "\(name)")
            var verification = try AuditVerifier.verify(store: store)
            #expect(verification.valid && verification.records == 2 && verification.prunedThrough == 3, "\(name): \(verification)")

            // New records chain after the head, not after what is left.
            try store.commit(StateChange(audit: chain.events(2)))
            verification = try AuditVerifier.verify(store: store)
            #expect(verification.valid && verification.records == 4, "\(name): \(verification)")

            // Pruning everything leaves a log that still verifies and keeps numbering.
            _ = try store.pruneAudit(through: 7, at: Date())
            #expect(try store.auditEntries().isEmpty, "\(name)")
            #expect(try AuditVerifier.verify(store: store).valid, "\(name)")
            try store.commit(StateChange(audit: chain.events(1)))
            #expect(try store.auditEntries().map(\.id) == [8], "\(name)")
            #expect(try AuditVerifier.verify(store: store).valid, "\(name)")
        }
    }

    @Test func pruningARecordThatIsNotThereIsRefused() throws {
        let dir = TempDirectory()
        defer { dir.cleanup() }
        for (name, store) in try stores(dir) {
            try store.commit(StateChange(audit: chain.events(2)))
            #expect(throws: StoreError.self, "\(name)") { try store.pruneAudit(through: 3, at: Date()) }
            _ = try store.pruneAudit(through: 1, at: Date())
            #expect(throws: StoreError.self, "\(name)") { try store.pruneAudit(through: 1, at: Date()) }
            #expect(try store.auditEntries().map(\.id) == [2], "\(name): nothing changed")
        }
    }

    /// Someone with the file moves the checkpoint forward and deletes records to hide them: the
    /// checkpoint's tag no longer verifies.
    @Test func aMovedCheckpointFails() throws {
        let dir = TempDirectory()
        defer { dir.cleanup() }
        let path = dir.path("moved.db")
        let store = try SQLiteStateStore(path: path)
        try store.commit(StateChange(audit: chain.events(6)))
        _ = try store.pruneAudit(through: 2, at: Date())
        let hashOf4 = try #require(try store.auditEntries().first { $0.id == 4 }?.hash)
        try chain.tamper(path, "UPDATE audit_checkpoint SET through_id = 4, hash = '\(hashOf4)'; DELETE FROM audit WHERE id <= 4")
        let verification = try AuditVerifier.verify(databaseAt: path)
        #expect(!verification.valid)
        #expect(verification.problem?.contains("checkpoint") == true, "\(verification)")
    }

    /// Without a checkpoint the log must start at record 1: deleting the checkpoint with the records fails.
    @Test func aDeletedCheckpointFails() throws {
        let dir = TempDirectory()
        defer { dir.cleanup() }
        let path = dir.path("deleted.db")
        let store = try SQLiteStateStore(path: path)
        try store.commit(StateChange(audit: chain.events(4)))
        _ = try store.pruneAudit(through: 2, at: Date())
        try chain.tamper(path, "DELETE FROM audit_checkpoint")
        let verification = try AuditVerifier.verify(databaseAt: path)
        #expect(!verification.valid && verification.firstBadID == 1, "\(verification)")
    }

    /// The store's triggers refuse deleting records after the checkpoint, and moving it back.
    @Test func theSchemaRefusesDeletingUnprunedRecords() throws {
        let dir = TempDirectory()
        defer { dir.cleanup() }
        let path = dir.path("triggers.db")
        let store = try SQLiteStateStore(path: path)
        try store.commit(StateChange(audit: chain.events(4)))
        _ = try store.pruneAudit(through: 2, at: Date())
        var db: OpaquePointer?
        #expect(sqlite3_open(path, &db) == SQLITE_OK)
        defer { sqlite3_close(db) }
        #expect(sqlite3_exec(db, "DELETE FROM audit WHERE id = 3", nil, nil, nil) != SQLITE_OK)
        #expect(sqlite3_exec(db, "UPDATE audit_checkpoint SET through_id = 1", nil, nil, nil) != SQLITE_OK)
        #expect(try AuditVerifier.verify(databaseAt: path).valid)
    }

    @Test func anAnchorOnThePrunedEdgeIsCheckedAgainstTheCheckpoint() throws {
        let store = MemoryStateStore()
        try store.commit(StateChange(audit: chain.events(4)))
        let second = try #require(try store.auditEntries().first { $0.id == 2 })
        _ = try store.pruneAudit(through: 2, at: Date())
        #expect(try AuditVerifier.verify(store: store, anchors: [AuditAnchor(id: 2, hash: second.hash)]).valid)
        let wrong = AuditAnchor(id: 2, hash: String(repeating: "a", count: 64))
        #expect(try !AuditVerifier.verify(store: store, anchors: [wrong]).valid)
    }

    /// An exported line carries every field the hash covers, `rules` and `signals` as the hashed text.
    @Test func anExportedLineRecomputesToItsHash() throws {
        let store = MemoryStateStore()
        try store.commit(StateChange(audit: chain.events(3)))
        var lines: [String] = []
        let written = try AuditExport.stream(from: store, after: 1, pageSize: 1) { lines.append($0) }
        #expect(written.count == 2 && written.lastID == 3 && lines.count == 2)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        let rebuilt = AuditRecord(
            id: Int64(object["id"] as? Int ?? 0), time: object["time"] as? String ?? "", kind: object["kind"] as? String ?? "",
            user: object["user"] as? String ?? "", policyHash: object["policy_hash"] as? String,
            outcome: object["outcome"] as? String, rules: object["rules"] as? String ?? "",
            signals: object["signals"] as? String ?? "", method: object["method"] as? String,
            result: object["result"] as? String, reference: object["reference"] as? String,
            prevHash: object["prev_hash"] as? String ?? "", keyID: object["key_id"] as? String ?? "",
            hash: object["hash"] as? String ?? "")
        #expect(rebuilt == (try store.auditEntries()[1]))
        #expect(rebuilt.computedHash(key: store.secrets.current) == rebuilt.hash)
    }

    @Test func theExportMarkOnlyMovesForward() throws {
        let store = MemoryStateStore()
        #expect(try AuditExport.exportedThrough(store) == 0)
        try AuditExport.markExported(through: 5, in: store)
        try AuditExport.markExported(through: 3, in: store)
        #expect(try AuditExport.exportedThrough(store) == 5)
    }
}
