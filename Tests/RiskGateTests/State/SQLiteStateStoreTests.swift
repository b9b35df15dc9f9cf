import CSQLite
import Foundation
import Testing
@testable import RiskGate
@testable import RiskGateEngine
@testable import RiskGatePolicy

@Suite struct SQLiteStateStoreTests {
    func sampleUser() -> UserState {
        var state = UserState()
        state.profile.known = true
        state.profile.homeCountry = "DE"
        state.profile.phone = "+4915112345678"
        state.profile.email = "u@example.com"
        state.profile.createdAt = Date(timeIntervalSince1970: 1_700_000_000.5)
        state.profile.kba = [KBAAnswer(question: "q", keyID: "k1", hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA")]
        state.profile.partialSecret = SealedSecret(keyID: "k1", box: [5, 6, 7])
        state.profile.trustedDevices = ["d-1", "d-2"]
        state.logins = [LoginRecord(time: Date(timeIntervalSince1970: 1_700_000_100), ip: IPAddress("203.0.113.7"),
                                    country: "DE", lat: 52.5, lon: 13.4, accuracyKm: 20, deviceId: "d-1")]
        state.devices = [DeviceRecord(id: "d-1", firstSeen: Date(timeIntervalSince1970: 1_700_000_000),
                                      lastSeen: Date(timeIntervalSince1970: 1_700_000_100), count: 2)]
        state.failures = [Date(timeIntervalSince1970: 1_700_000_200.25)]
        state.lockedUntil = Date(timeIntervalSince1970: 1_700_001_000)
        state.lockouts = 2
        state.banned = true
        return state
    }

    @Test func roundTripAndReopen() throws {
        let dir = TempDirectory()
        defer { dir.cleanup() }
        let path = dir.path("state.db")
        let user = sampleUser()
        do {
            let store = try SQLiteStateStore(path: path)
            try store.commit(StateChange(users: ["u-1": user], blobs: ["model": Data([1, 2, 3])],
                                         audit: [AuditEvent(time: Date(timeIntervalSince1970: 1_700_000_000), kind: .admin, user: "u-1")]))
            #expect(try store.loadUser("u-1") == user)
            #expect(try store.loadUser("nobody") == nil)
        }
        let reopened = try SQLiteStateStore(path: path)
        #expect(try reopened.loadUser("u-1") == user)
        #expect(try reopened.loadBlob("model") == Data([1, 2, 3]))
        #expect(try reopened.loadBlob("none") == nil)
        #expect(try reopened.auditEntries().count == 1)
        #expect(try AuditVerifier.verify(store: reopened).valid)
    }

    /// Text is stored whole: a NUL inside a name neither cuts it short (making it another user's
    /// row) nor breaks the audit chain, whose hash covers the whole name.
    @Test func namesWithANulStayDistinct() throws {
        let dir = TempDirectory()
        defer { dir.cleanup() }
        let store = try SQLiteStateStore(path: dir.path("state.db"))
        var victim = UserState()
        victim.lockouts = 1
        var other = UserState()
        other.lockouts = 2
        try store.commit(StateChange(users: ["victim": victim]))
        try store.commit(StateChange(users: ["victim\u{0}x": other],
                                     audit: [AuditEvent(time: Date(timeIntervalSince1970: 1_700_000_000), kind: .admin,
                                                        user: "victim\u{0}x")]))
        #expect(try store.loadUser("victim") == victim)
        #expect(try store.loadUser("victim\u{0}x") == other)
        #expect(try store.auditEntries().first?.user == "victim\u{0}x")
        #expect(try AuditVerifier.verify(store: store).valid)
    }

    @Test func challengesOutboxAndStaleWrites() throws {
        let dir = TempDirectory()
        defer { dir.cleanup() }
        let store = try SQLiteStateStore(path: dir.path("state.db"))
        let f = ChallengeFixture(store: store)
        try f.enroll()
        let (made, code) = try f.issue()
        let challenge = try #require(made.challenge)
        #expect(try store.loadChallenge(challenge.id) == challenge)
        // Writing the same revision again (a stale read) is refused, and nothing else in that commit lands.
        #expect {
            try store.commit(StateChange(challenges: [challenge], audit: [AuditEvent(time: Date(), kind: .admin, user: "x")]))
        } throws: { ($0 as? StoreError)?.code == .conflict }
        #expect(try store.auditEntries().count == 1)  // only account.set
        let pending = try store.outbox(limit: 10)
        #expect(pending.count == 1 && !pending[0].body.contains(code))
        #expect(try pending[0].openedForDelivery(keyring: store.secrets).body.contains(code))
        try store.removeOutbox(pending.compactMap(\.id))
        #expect(try store.outbox(limit: 10).isEmpty)
        #expect(try f.service.verify(challengeID: challenge.id, step: "otp", response: code).complete)
        #expect(try store.loadChallenge(challenge.id)?.revision == 1)
    }

    @Test func badFilesGiveClearErrors() throws {
        let dir = TempDirectory()
        defer { dir.cleanup() }
        let garbage = dir.path("garbage.db")
        try Data(repeating: 0x41, count: 8192).write(to: URL(fileURLWithPath: garbage))
        #expect { try SQLiteStateStore(path: garbage) } throws: { ($0 as? StoreError)?.code == .corrupt }

        var options = SQLiteStateStore.Options()
        options.createIfMissing = false
        #expect { try SQLiteStateStore(path: dir.path("missing.db"), options: options) } throws: { ($0 as? StoreError)?.code == .notFound }

        let foreign = dir.path("foreign.db")
        try exec(foreign, "CREATE TABLE t (x); ")
        #expect { try SQLiteStateStore(path: foreign) } throws: { ($0 as? StoreError)?.code == .corrupt }

        let newer = dir.path("newer.db")
        _ = try SQLiteStateStore(path: newer)
        try exec(newer, "PRAGMA user_version = 99")
        #expect { try SQLiteStateStore(path: newer) } throws: { ($0 as? StoreError)?.code == .schema }

        let broken = dir.path("broken.db")
        do {
            let store = try SQLiteStateStore(path: broken)
            try store.commit(StateChange(users: ["u-1": UserState()]))
        }
        try exec(broken, "UPDATE users SET history = x'7b7b7b' WHERE user = 'u-1'")
        #expect { try SQLiteStateStore(path: broken).loadUser("u-1") } throws: { ($0 as? StoreError)?.code == .corrupt }
    }

    /// Neither the database nor its WAL ever holds a secret in clear once delivery is done.
    @Test func fileHoldsNoSecrets() throws {
        let dir = TempDirectory()
        defer { dir.cleanup() }
        let path = dir.path("state.db")
        let store = try SQLiteStateStore(path: path)
        var f = ChallengeFixture(store: store)
        f.policy.otpKbaDelay.partialSecretCharacters = 3
        try f.enroll()
        let (made, code) = try f.issue(.otpKbaDelay)
        let summary = try #require(made.summary)
        try store.removeOutbox(try store.outbox(limit: 10).compactMap(\.id))  // delivered
        _ = try f.service.verify(challengeID: summary.id, step: "otp", response: "87654321")
        _ = try f.service.verify(challengeID: summary.id, step: "otp", response: code)
        let answers = ["first pet": "Rex the Dog", "birth city": "Rosebud Springs"]
        for question in summary.questions ?? [] {
            _ = try f.service.verify(challengeID: summary.id, step: "kba", response: answers[question] ?? "")
        }
        let secret = Array("tulip7castle")
        let typed = String((summary.positions ?? []).map { secret[$0 - 1] })
        _ = try f.service.verify(challengeID: summary.id, step: "partial_secret", response: typed)
        #expect(try store.loadChallenge(summary.id)?.currentStep == 3)

        let bytes = databaseFileBytes(path)
        #expect(bytes.count > 4096)
        for needle in [code, "87654321", "Rex the Dog", "rex the dog", "Rosebud Springs", "rosebud springs", "tulip7castle", typed] {
            #expect(bytes.range(of: Data(needle.utf8)) == nil, "found `\(needle)` in the database files")
        }
    }

    /// Without a deliverer, a code leaves the outbox once it cannot be used any more: its OTP step
    /// passed, its challenge ended, or it expired (swept when the next code is written).
    @Test(arguments: [false, true])
    func spentCodesLeaveTheOutbox(sqlite: Bool) throws {
        let dir = TempDirectory()
        defer { dir.cleanup() }
        let store: any StateStore = sqlite ? try SQLiteStateStore(path: dir.path("state.db")) : MemoryStateStore()
        let f = ChallengeFixture(store: store)
        try f.enroll()
        func otpMessages() throws -> [String?] { try store.outbox(limit: 100).filter { $0.kind == "otp" }.map(\.challenge) }

        let (passed, code) = try f.issue(.otpKbaDelay)
        let (failed, _) = try f.issue()
        #expect(try otpMessages().count == 2)
        _ = try f.service.verify(challengeID: try #require(passed.challenge?.id), step: "otp", response: code)
        #expect(try otpMessages() == [failed.challenge?.id])
        for _ in 0..<f.policy.otp.maxAttempts {
            _ = try f.service.verify(challengeID: try #require(failed.challenge?.id), step: "otp", response: "00000000")
        }
        #expect(try store.loadChallenge(try #require(failed.challenge?.id))?.state == .failed)
        #expect(try otpMessages().isEmpty)

        let (stale, _) = try f.issue()
        #expect(try otpMessages() == [stale.challenge?.id])
        f.clock.set(f.clock.now().addingTimeInterval(f.policy.otp.ttl + 1))
        let (fresh, _) = try f.issue()
        #expect(try otpMessages() == [fresh.challenge?.id])
    }

    /// Hundreds of delivered messages (pages of the outbox freed whole when they go) leave none of
    /// their codes in the database or WAL files.
    @Test func deliveredMessagesLeaveNoCodes() throws {
        let dir = TempDirectory()
        defer { dir.cleanup() }
        let path = dir.path("state.db")
        let store = try SQLiteStateStore(path: path)
        let codes = (0..<400).map { String(format: "otp%08d", $0 * 7919 % 100_000_000) }
        try store.commit(StateChange(outbox: codes.map {
            OutboxMessage(created: Date(), kind: "otp", channel: "sms", user: "u-1", destination: "+4915112345678",
                          body: "Your RiskGate code is \($0)")
        }))
        let pending = try store.outbox(limit: 1_000)
        #expect(pending.count == codes.count)
        try store.removeOutbox(pending.compactMap(\.id))
        #expect(try store.outbox(limit: 1_000).isEmpty)
        let bytes = databaseFileBytes(path)
        #expect(bytes.count > 4 * 4096)
        let left = codes.filter { bytes.range(of: Data($0.utf8)) != nil }
        #expect(left.isEmpty, "codes left in the files: \(left.prefix(5))")
    }

    /// The profile columns (for people and SQL) hold what `JSONEncoder` writes for those values.
    @Test func profileColumnsAreJSON() throws {
        let dir = TempDirectory()
        defer { dir.cleanup() }
        let path = dir.path("state.db")
        let user = sampleUser()
        let store = try SQLiteStateStore(path: path)
        try store.commit(StateChange(users: ["u-1": user]))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        func json<T: Encodable>(_ value: T) throws -> String { String(decoding: try encoder.encode(value), as: UTF8.self) }
        var db: OpaquePointer?
        #expect(sqlite3_open(path, &db) == SQLITE_OK)
        defer { sqlite3_close(db) }
        var statement: OpaquePointer?
        #expect(sqlite3_prepare_v2(db, "SELECT kba, partial_secret, trusted_devices, failures FROM users WHERE user = 'u-1'", -1, &statement, nil) == SQLITE_OK)
        defer { sqlite3_finalize(statement) }
        #expect(sqlite3_step(statement) == SQLITE_ROW)
        let column = { (i: Int32) in String(cString: sqlite3_column_text(statement, i)) }
        #expect(column(0) == (try json(user.profile.kba)))
        #expect(column(1) == (try json(user.profile.partialSecret.map { [["key_id": $0.keyID]] } ?? [])))
        #expect(column(2) == (try json(user.profile.trustedDevices)))
        #expect(column(3) == (try json(user.failures.map(\.timeIntervalSince1970))))
    }

    /// A new file gets the whole schema in one migration, and reopening it runs none.
    @Test func newFilesGetTheSchema() throws {
        let dir = TempDirectory()
        defer { dir.cleanup() }
        let path = dir.path("state.db")
        do {
            let store = try SQLiteStateStore(path: path)
            try store.commit(StateChange(users: ["u-1": sampleUser()]))
        }
        #expect(try SQLiteStateStore(path: path).loadUser("u-1") == sampleUser())
        #expect(SQLiteStateStore.schemaVersion == SQLiteSchema.migrations.count)
        #expect(try query(path, "PRAGMA user_version") == [String(SQLiteStateStore.schemaVersion)])
        #expect(try query(path, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name") == [
            "audit", "audit_checkpoint", "audit_head", "blobs", "challenges", "dead_letters", "outbox", "sqlite_sequence", "users",
        ])
        #expect(try query(path, "SELECT name FROM sqlite_master WHERE type IN ('index', 'trigger') AND sql IS NOT NULL ORDER BY name") == [
            "audit_checkpoint_forward", "audit_decision_reference", "audit_no_delete", "audit_no_update", "challenges_user",
            "outbox_challenge",
        ])
    }

    /// A migration appended later runs once on an existing file, with foreign keys off: one that
    /// rebuilds `users` (SQLite's way to change a table) keeps the challenges that reference it.
    /// The file then has a version this program does not know, and is refused.
    @Test func laterMigrationsRunOnceAndKeepRows() throws {
        let dir = TempDirectory()
        defer { dir.cleanup() }
        let path = dir.path("state.db")
        do {
            let store = try SQLiteStateStore(path: path)
            try store.commit(StateChange(users: ["u-1": sampleUser()]))
        }
        try exec(path, "INSERT INTO challenges (id, user, created, state, revision, record) VALUES ('ch-1', 'u-1', 1700000000, 'pending', 0, '{}')")
        let rebuild = """
            CREATE TABLE users_new (user TEXT PRIMARY KEY NOT NULL, history BLOB, note TEXT);
            INSERT INTO users_new (user, history) SELECT user, history FROM users;
            DROP TABLE users;
            ALTER TABLE users_new RENAME TO users;
            """
        let later = SQLiteSchema.migrations + [rebuild]
        for _ in 0..<2 {
            let connection = try SQLiteConnection(path: path, create: false)
            defer { connection.close() }
            try SQLiteStateStore.migrate(connection, path: path, migrations: later)
        }
        #expect(try query(path, "PRAGMA user_version") == [String(later.count)])
        #expect(try query(path, "SELECT user FROM users") == ["u-1"])
        #expect(try query(path, "SELECT id FROM challenges WHERE user = 'u-1'") == ["ch-1"])
        #expect(try query(path, "SELECT count(*) FROM pragma_table_info('users') WHERE name = 'note'") == ["1"])
        #expect { try SQLiteStateStore(path: path) } throws: {
            ($0 as? StoreError)?.code == .schema && "\($0)".contains("newer than this program's")
        }
    }

    /// A migration that fails leaves the file as it was: its version, and none of its changes.
    @Test func failedMigrationChangesNothing() throws {
        let dir = TempDirectory()
        defer { dir.cleanup() }
        let path = dir.path("state.db")
        _ = try SQLiteStateStore(path: path)
        let connection = try SQLiteConnection(path: path, create: false)
        defer { connection.close() }
        let broken = SQLiteSchema.migrations + ["CREATE TABLE half_done (x); SELECT nope FROM missing_table;"]
        #expect { try SQLiteStateStore.migrate(connection, path: path, migrations: broken) } throws: {
            ($0 as? StoreError)?.code == .schema
        }
        #expect(try query(path, "PRAGMA user_version") == [String(SQLiteSchema.migrations.count)])
        #expect(try query(path, "SELECT count(*) FROM sqlite_master WHERE name = 'half_done'") == ["0"])
        #expect(try SQLiteStateStore(path: path).loadUser("nobody") == nil)
    }

    /// Feedback needs to know whether a decision exists: found through decision records only, by an
    /// index.
    @Test func findsDecisionsByID() throws {
        let dir = TempDirectory()
        defer { dir.cleanup() }
        let path = dir.path("state.db")
        let time = Date(timeIntervalSince1970: 1_700_000_000)
        let decision = Decision(id: "dec-1", outcome: .passive, score: 0, band: "low", rule: "default", path: ["default"],
                                contributions: [], policy: .init(name: "p", hash: "sha256:0"))
        do {
            let store = try SQLiteStateStore(path: path)
            var shadow = AuditEvent.decision(decision, user: "u-1", time: time)
            shadow.kind = .shadow
            shadow.reference = "dec-2"
            try store.commit(StateChange(audit: [
                AuditEvent.decision(decision, user: "u-1", time: time), shadow,
                AuditEvent(time: time, kind: .feedback, user: "u-1", method: "feedback", result: "legit", reference: "dec-3"),
            ]))
        }
        let store = try SQLiteStateStore(path: path)
        #expect(try store.decisionUser("dec-1") == "u-1")
        #expect(try store.decisionUser("dec-2") == nil, "a shadow record is not a decision")
        #expect(try store.decisionUser("dec-3") == nil, "a feedback record is not a decision")
        #expect(try store.decisionUser("dec-nope") == nil)

        var db: OpaquePointer?
        #expect(sqlite3_open(path, &db) == SQLITE_OK)
        defer { sqlite3_close(db) }
        var statement: OpaquePointer?
        let plan = "EXPLAIN QUERY PLAN SELECT user FROM audit WHERE reference = 'dec-1' AND kind = 'decision' LIMIT 1"
        #expect(sqlite3_prepare_v2(db, plan, -1, &statement, nil) == SQLITE_OK)
        defer { sqlite3_finalize(statement) }
        var details = ""
        while sqlite3_step(statement) == SQLITE_ROW { details += String(cString: sqlite3_column_text(statement, 3)) }
        #expect(details.contains("audit_decision_reference"), "\(details)")
    }

    /// Every byte of the database, its WAL and its shared-memory index, for searching.
    func databaseFileBytes(_ path: String) -> Data {
        var bytes = Data()
        for suffix in ["", "-wal", "-shm"] {
            if let data = FileManager.default.contents(atPath: path + suffix) { bytes += data }
        }
        return bytes
    }

    /// The first column of every row `sql` returns, as text.
    func query(_ path: String, _ sql: String) throws -> [String] {
        var db: OpaquePointer?
        guard sqlite3_open(path, &db) == SQLITE_OK else { throw StoreError(code: .open, message: "test open") }
        defer { sqlite3_close(db) }
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(db, sql, -1, &statement, nil) == SQLITE_OK else {
            throw StoreError(code: .sql, message: String(cString: sqlite3_errmsg(db)))
        }
        defer { sqlite3_finalize(statement) }
        var rows: [String] = []
        while sqlite3_step(statement) == SQLITE_ROW {
            rows.append(sqlite3_column_text(statement, 0).map { String(cString: $0) } ?? "NULL")
        }
        return rows
    }

    func exec(_ path: String, _ sql: String) throws {
        var db: OpaquePointer?
        guard sqlite3_open(path, &db) == SQLITE_OK else { throw StoreError(code: .open, message: "test open") }
        defer { sqlite3_close(db) }
        guard sqlite3_exec(db, sql, nil, nil, nil) == SQLITE_OK else {
            throw StoreError(code: .sql, message: String(cString: sqlite3_errmsg(db)))
        }
    }
}
