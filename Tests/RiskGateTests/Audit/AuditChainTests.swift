import CSQLite
import Foundation
import Testing
@testable import RiskGate
@testable import RiskGateEngine
@testable import RiskGatePolicy

@Suite struct AuditChainTests {
    func events(_ n: Int) -> [AuditEvent] {
        (0..<n).map {
            AuditEvent(time: Date(timeIntervalSince1970: 1_790_000_000 + Double($0)), kind: .decision, user: "u-\($0)",
                       policyHash: "sha256:abc", outcome: "otp", rules: ["medium"], signals: ["score": .number(47.5)],
                       method: "decide", result: "ok", reference: "dec-\($0)")
        }
    }

    /// A database with five chained records; returns its path.
    func makeDatabase(_ dir: TempDirectory) throws -> String {
        let path = dir.path("audit.db")
        let store = try SQLiteStateStore(path: path)
        try store.commit(StateChange(audit: Array(events(3))))
        try store.commit(StateChange(audit: Array(events(5)[3...])))
        #expect(try AuditVerifier.verify(store: store).valid)
        #expect(try AuditVerifier.verify(store: store).records == 5)
        return path
    }

    @Test func aRecordHashedWithTheKeyedContextEqualsTheOneShot() throws {
        let key = SecretsKeyring.Key(id: "k1", bytes: Array(repeating: 7, count: 32))
        let mac = try #require(KeyedHMAC(key: key.audit))
        var previous = AuditRecord.genesisHash
        for (index, event) in events(4).enumerated() {
            let draft = AuditRecord(draft: event)
            let fast = draft.chained(id: Int64(index + 1), prevHash: previous, key: key, mac: mac)
            #expect(fast == draft.chained(id: Int64(index + 1), prevHash: previous, key: key))
            #expect(fast.hash == fast.computedHash(key: key))
            previous = fast.hash
        }
    }

    /// Tampering as an attacker with the file would: drop the append-only triggers, then edit.
    func tamper(_ path: String, _ sql: String) throws {
        var db: OpaquePointer?
        guard sqlite3_open(path, &db) == SQLITE_OK else { throw StoreError(code: .open, message: "test open") }
        defer { sqlite3_close(db) }
        let rc = sqlite3_exec(db, "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete; " + sql, nil, nil, nil)
        guard rc == SQLITE_OK else { throw StoreError(code: .sql, message: String(cString: sqlite3_errmsg(db))) }
    }

    @Test(arguments: [
        ("edit", "UPDATE audit SET outcome = 'passive' WHERE id = 3", Int64(3)),
        ("edit-signals", "UPDATE audit SET signals = '{}' WHERE id = 2", Int64(2)),
        ("delete", "DELETE FROM audit WHERE id = 3", Int64(3)),
        ("reorder", """
            UPDATE audit SET id = 100 WHERE id = 2; UPDATE audit SET id = 2 WHERE id = 3; UPDATE audit SET id = 3 WHERE id = 100;
            """, Int64(2)),
        ("delete-tail", "DELETE FROM audit WHERE id = 5", Int64(5)),
        ("rehash-edit", "UPDATE audit SET outcome = 'passive', hash = 'x' WHERE id = 4", Int64(4)),
    ])
    func detectsTampering(name: String, sql: String, firstBad: Int64) throws {
        let dir = TempDirectory()
        defer { dir.cleanup() }
        let path = try makeDatabase(dir)
        try tamper(path, sql)
        let verification = try AuditVerifier.verify(databaseAt: path)
        #expect(!verification.valid, "\(name) not detected")
        #expect(verification.firstBadID == firstBad, "\(name): \(verification.problem ?? "")")
    }

    /// Someone who can write the file rebuilds a consistent chain after editing it (every deny made
    /// passive, a user's records gone), as `computedHash` did it before records were keyed: an
    /// unkeyed SHA-256 chain. Without the key the first rebuilt record fails.
    @Test func aChainRebuiltWithoutTheKeyFails() throws {
        let dir = TempDirectory()
        defer { dir.cleanup() }
        let path = try makeDatabase(dir)
        let store = try SQLiteStateStore(path: path)
        var records = try store.auditEntries().filter { $0.user != "u-1" }
        var previous = AuditRecord.genesisHash
        let forger = SecretsKeyring.ephemeral().current
        for index in records.indices {
            records[index].id = Int64(index + 1)
            records[index].outcome = "passive"
            records[index].prevHash = previous
            records[index].keyID = store.secrets.current.id
            var message = Array(previous.utf8)
            message += records[index].canonicalBytes
            records[index].hash = index % 2 == 0 ? SHA256.hash(message).hexString : records[index].computedHash(key: forger)
            previous = records[index].hash
        }
        var sql = "DELETE FROM audit; DELETE FROM audit_head;"
        for r in records {
            sql += " INSERT INTO audit (id, time, kind, user, policy_hash, outcome, rules, signals, method, result, reference, prev_hash, hash, key_id) VALUES (\(r.id), '\(r.time)', '\(r.kind)', '\(r.user)', '\(r.policyHash ?? "")', '\(r.outcome ?? "")', '\(r.rules)', '\(r.signals)', '\(r.method ?? "")', '\(r.result ?? "")', '\(r.reference ?? "")', '\(r.prevHash)', '\(r.hash)', '\(r.keyID)');"
        }
        sql += " INSERT INTO audit_head (singleton, last_id, hash) VALUES (1, \(records.count), '\(previous)');"
        try tamper(path, sql)
        let verification = try AuditVerifier.verify(databaseAt: path)
        #expect(!verification.valid)
        #expect(verification.firstBadID == 1)
    }

    /// Deleting the tail together with the `audit_head` row leaves a chain that proves itself; an
    /// anchor kept elsewhere (`audit head` output, the service's log line) catches it.
    @Test func aDeletedTailWithItsHeadIsCaughtByAnAnchor() throws {
        let dir = TempDirectory()
        defer { dir.cleanup() }
        let path = try makeDatabase(dir)
        let head = try AuditHead(of: SQLiteStateStore(path: path))
        #expect(head.records == 5)
        let anchor = try #require(AuditAnchor(head.anchor))
        #expect(try AuditVerifier.verify(databaseAt: path, anchors: [anchor]).valid)
        try tamper(path, "DELETE FROM audit WHERE id >= 4; DELETE FROM audit_head;")
        #expect(try AuditVerifier.verify(databaseAt: path).valid, "without an anchor the truncation is invisible")
        let verification = try AuditVerifier.verify(databaseAt: path, anchors: [anchor])
        #expect(!verification.valid)
        #expect(verification.firstBadID == 5)
        // An anchor whose hash differs (a record replaced) fails too.
        let wrong = AuditAnchor(id: 2, hash: String(repeating: "0", count: 64))
        #expect(try AuditVerifier.verify(databaseAt: path, anchors: [wrong]).firstBadID == 2)
        #expect(AuditAnchor("5:xyz") == nil)
        #expect(AuditAnchor("0:\(head.hash)") == nil)
    }

    @Test func triggersRefuseInPlaceEdits() throws {
        let dir = TempDirectory()
        defer { dir.cleanup() }
        let path = try makeDatabase(dir)
        var db: OpaquePointer?
        #expect(sqlite3_open(path, &db) == SQLITE_OK)
        defer { sqlite3_close(db) }
        #expect(sqlite3_exec(db, "DELETE FROM audit WHERE id = 1", nil, nil, nil) != SQLITE_OK)
        #expect(sqlite3_exec(db, "UPDATE audit SET user = 'x'", nil, nil, nil) != SQLITE_OK)
    }

    @Test func memoryStoreChainsAndVerifies() throws {
        let store = MemoryStateStore()
        try store.commit(StateChange(audit: events(4)))
        var records = try store.auditEntries()
        #expect(AuditVerifier.verify(records, keyring: store.secrets).valid)
        #expect(records[0].prevHash == AuditRecord.genesisHash)
        #expect(records[1].prevHash == records[0].hash)
        records[2].user = "someone-else"
        #expect(AuditVerifier.verify(records, keyring: store.secrets).firstBadID == 3)
        #expect(try store.auditEntries(after: 2, limit: 10).map(\.id) == [3, 4])
    }

    @Test func decisionEventsAreRedacted() {
        let decision = Decision(id: "dec-1", outcome: .otp, score: 40, band: "medium", rule: "m", path: ["m"], contributions: [],
                                policy: .init(name: "p", hash: "sha256:1"),
                                explanation: .init(signals: ["ip.address": .string("203.0.113.7"), "ip.country": .string("DE"),
                                                             "device.new": .bool(true), "device.id": .string("d-9f2")], conditions: []))
        let event = AuditEvent.decision(decision, user: "u-1", time: Date())
        #expect(event.signals == ["ip.country": .string("DE"), "device.new": .bool(true)])
    }
}

@Suite struct AuditDraftTests {
    /// A record drafted ahead and chained later is the record built in one go.
    @Test func draftThenChainEqualsDirectRecord() {
        var event = AuditEvent(time: Date(timeIntervalSince1970: 1_763_640_000.25), kind: .decision, user: "u-1",
                               method: "policy", result: "otp", reference: "dec-1")
        event.rules = ["travel", "a/b"]
        event.signals = ["geo.country": .string("DE"), "score": .number(42.5), "device.new": .bool(true)]
        let prev = String(repeating: "ab", count: 32)
        let key = SecretsKeyring.ephemeral().current
        #expect(AuditRecord(draft: event).chained(id: 7, prevHash: prev, key: key) == AuditRecord(id: 7, event: event, prevHash: prev, key: key))
    }
}
