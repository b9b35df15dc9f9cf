import Foundation
import Testing
@testable import RiskGate
@testable import RiskGateEngine
@testable import RiskGatePolicy
@testable import RiskGatePostgres

/// What the PostgreSQL store adds: many replicas (here, many stores) on one database.
@Suite(.enabled(if: TestPostgres.baseURL != nil, "RISKGATE_TEST_POSTGRES_URL is not set (scripts/with-postgres.sh sets it)"))
struct PostgresStateStoreTests {
    static func failure(_ user: String, minute: Int) -> RequestContext {
        DecisionEngineTests.request(user, String(format: "2026-11-20T11:%02d:00Z", minute), ip: "81.2.69.1", country: "DE",
                                    lat: 52.5, lon: 13.4, result: "failure")
    }

    /// A state read before another replica's commit cannot be written over it.
    @Test func aStaleUserStateIsRefused() throws {
        let t = try TestStore(.postgres)
        let replica = try t.another()
        try t.store.commit(StateChange(users: ["u-1": UserState()]))
        var mine = try #require(try t.store.loadUser("u-1"))
        var theirs = try #require(try replica.loadUser("u-1"))
        theirs.lockouts = 1
        try replica.commit(StateChange(users: ["u-1": theirs]))
        mine.lockouts = 7
        #expect {
            try t.store.commit(StateChange(users: ["u-1": mine], audit: [AuditEvent(time: Date(), kind: .admin, user: "u-1")]))
        } throws: { ($0 as? StoreError)?.code == .conflict }
        #expect(try t.store.loadUser("u-1")?.lockouts == 1)
        #expect(try t.store.auditEntries().isEmpty, "nothing of the refused commit is written")
        // Two replicas creating the same new user: the second insert conflicts too.
        try t.store.commit(StateChange(users: ["u-2": UserState()]))
        #expect { try replica.commit(StateChange(users: ["u-2": UserState()])) } throws: { ($0 as? StoreError)?.code == .conflict }
    }

    /// Two replicas (engines over two stores, four threads each) deciding for one user at once:
    /// every accepted login is counted in the device's count, none lost to a concurrent write.
    @Test func twoReplicasLoseNoUpdate() async throws {
        let t = try TestStore(.postgres)
        let clock = ManualClock(Timestamp.parse("2026-11-20T12:00:00Z")!)
        let engines = [try DecisionEngine(policy: DecisionEngineTests.policy(), store: t.store, clock: clock),
                       try DecisionEngine(policy: DecisionEngineTests.policy(), store: try t.another(), clock: clock)]
        let perThread = 10, threads = 8
        let errors = ErrorList()
        try await OwnThread.run {
            DispatchQueue.concurrentPerform(iterations: threads) { index in
                for i in 0..<perThread {
                    do {
                        _ = try engines[index % 2].decide(DecisionEngineTests.request(
                            "u-hot", String(format: "2026-11-20T10:%02d:%02dZ", index, i), ip: "81.2.69.1", country: "DE", lat: 52.5, lon: 13.4))
                    } catch {
                        errors.add(error)
                    }
                }
            }
        }
        #expect(errors.all.isEmpty, "\(errors.all.prefix(3))")
        let state = try #require(try t.store.loadUser("u-hot"))
        #expect(state.devices.first?.count == threads * perThread)
        let verification = try t.verifyAudit()
        #expect(verification.valid && verification.records == threads * perThread, "\(verification)")
    }

    /// Failed passwords sent alternately to two replicas add up to one lockout at the threshold.
    @Test func failuresOnTwoReplicasAddUpToOneLockout() throws {
        let t = try TestStore(.postgres)
        let clock = ManualClock(Timestamp.parse("2026-11-20T12:00:00Z")!)
        let engines = [try DecisionEngine(policy: DecisionEngineTests.policy(), store: t.store, clock: clock),
                       try DecisionEngine(policy: DecisionEngineTests.policy(), store: try t.another(), clock: clock)]
        var locked: [Bool] = []
        for minute in 0..<5 { locked.append(try engines[minute % 2].decide(Self.failure("u-1", minute: 50 + minute)).lockedAccount) }
        #expect(locked == [false, false, false, false, true])
        #expect(try t.store.loadUser("u-1")?.lockouts == 1)
    }

    /// A challenge issued through one replica is verified through the other.
    @Test func aChallengeIssuedOnOneReplicaVerifiesOnAnother() throws {
        let t = try TestStore(.postgres)
        let f = ChallengeFixture(store: t.store)
        try f.enroll()
        let (made, code) = try f.issue()
        let other = ChallengeFixture(store: try t.another())
        let result = try other.service.verify(challengeID: try #require(made.challenge?.id), step: "otp", response: code)
        #expect(result.complete && result.result == .passed)
        #expect(try t.store.loadChallenge(try #require(made.challenge?.id))?.revision == 1)
    }

    /// Each replica appends to its own chain; an edited record, a chain's deleted tail and a
    /// deleted anchored record are each caught and named.
    @Test func auditChainsCatchTampering() throws {
        let t = try TestStore(.postgres)
        let url = try #require(t.url)
        let replica = try t.another()
        for i in 0..<4 {
            let store = i % 2 == 0 ? t.store : replica
            try store.commit(StateChange(audit: [AuditEvent(time: Date(timeIntervalSince1970: 1_700_000_000 + Double(i)),
                                                            kind: .admin, user: "u-\(i)")]))
        }
        let records = try t.store.auditEntries()
        #expect(records.count == 4)
        let valid = try t.verifyAudit()
        #expect(valid.valid && valid.records == 4, "\(valid)")
        // A record that names the anchor's id and hash verifies; a wrong hash fails.
        let anchor = AuditAnchor(id: records[1].id, hash: records[1].hash)
        #expect(try t.verifyAudit(anchors: [anchor]).valid)
        #expect(try !t.verifyAudit(anchors: [AuditAnchor(id: records[1].id, hash: String(repeating: "a", count: 64))]).valid)

        try TestPostgres.admin(url, "ALTER TABLE audit DISABLE TRIGGER audit_no_change")
        try TestPostgres.admin(url, "UPDATE audit SET user_id = 'mallory' WHERE id = \(records[2].id)")
        let edited = try t.verifyAudit()
        #expect(!edited.valid && edited.firstBadID == records[2].id, "\(edited)")
        try TestPostgres.admin(url, "UPDATE audit SET user_id = 'u-2' WHERE id = \(records[2].id)")
        #expect(try t.verifyAudit().valid)

        // The last record of a chain deleted: its head row still names it.
        try TestPostgres.admin(url, "DELETE FROM audit WHERE id = \(records[3].id)")
        let truncated = try t.verifyAudit()
        #expect(!truncated.valid && truncated.problem?.contains("tail deleted") == true, "\(truncated)")
        // ... and with the head row rewritten to match, the anchor still catches it.
        try TestPostgres.admin(url, """
            UPDATE audit_chains SET last_seq = 1, last_id = \(records[1].id), hash = '\(records[1].hash)'
            WHERE chain = (SELECT chain FROM audit WHERE id = \(records[1].id))
            """)
        #expect(try t.verifyAudit().valid)
        let anchored = try t.verifyAudit(anchors: [AuditAnchor(id: records[3].id, hash: records[3].hash)])
        #expect(!anchored.valid && anchored.firstBadID == records[3].id, "\(anchored)")
    }

    /// Model statistics flushed by two replicas add up; the last flush does not overwrite the other's.
    @Test func modelStatisticsAreMergedNotOverwritten() throws {
        let t = try TestStore(.postgres)
        let clock = ManualClock(Timestamp.parse("2026-11-20T12:00:00Z")!)
        let engines = [try DecisionEngine(policy: DecisionEngineTests.policy(), store: t.store, clock: clock),
                       try DecisionEngine(policy: DecisionEngineTests.policy(), store: try t.another(), clock: clock)]
        for (index, engine) in engines.enumerated() {
            for i in 0..<(3 + index) {
                _ = try engine.decide(DecisionEngineTests.request("u-\(index)-\(i)", "2026-11-20T11:00:00Z", ip: "81.2.69.1",
                                                                  country: "DE", lat: 52.5, lon: 13.4))
            }
        }
        try engines[0].flush()
        try engines[1].flush()
        try engines[0].flush()  // nothing new: adds nothing
        let merged = try DecisionEngine(policy: DecisionEngineTests.policy(), store: try t.another(), clock: clock)
        #expect(merged.globalStats.totalLogins == 7)
        #expect(merged.globalStats.userCount == 7)
    }

    /// Replicas that start together on an empty database create the schema once.
    @Test func concurrentFirstUseMigratesOnce() async throws {
        let url = try TestPostgres.freshDatabase()
        let keyring = SecretsKeyring.ephemeral()
        let errors = ErrorList()
        try await OwnThread.run {
            DispatchQueue.concurrentPerform(iterations: 4) { _ in
                do { _ = try PostgresStateStore(url: url, secrets: keyring) } catch { errors.add(error) }
            }
        }
        #expect(errors.all.isEmpty, "\(errors.all)")
        let store = try PostgresStateStore(url: url, secrets: keyring)
        try store.commit(StateChange(users: ["u-1": UserState()]))
        #expect(try store.loadUser("u-1") != nil)
    }

    /// A new database gets the whole schema in one migration; one whose schema is newer than this
    /// program's (a later version migrated it) is refused, not written to.
    @Test func aNewerSchemaIsRefused() throws {
        let url = try TestPostgres.freshDatabase()
        let keyring = SecretsKeyring.ephemeral()
        do {
            let store = try PostgresStateStore(url: url, secrets: keyring)
            try store.commit(StateChange(users: ["u-1": UserState()]))
            store.close()
        }
        #expect(PostgresStateStore.schemaVersion == PostgresSchema.migrations.count)
        try TestPostgres.admin(url, "UPDATE riskgate_schema SET version = \(PostgresStateStore.schemaVersion + 1)")
        #expect { try PostgresStateStore(url: url, secrets: keyring) } throws: {
            ($0 as? StoreError)?.code == .schema && "\($0)".contains("newer than this program's")
        }
    }

    /// Connections the server ends (as a PostgreSQL restart does) are replaced: the next read and
    /// commit work without reopening the store.
    @Test func recoversWhenTheServerEndsItsConnections() async throws {
        let t = try TestStore(.postgres)
        let url = try #require(t.url)
        try t.store.commit(StateChange(users: ["u-1": UserState()]))
        let database = try #require(URLComponents(string: url)?.path.dropFirst())
        try TestPostgres.admin(try #require(TestPostgres.baseURL), """
            SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '\(database)'
            """)
        try await Task.sleep(for: .milliseconds(200))
        var state = try #require(try t.store.loadUser("u-1"))
        state.lockouts = 3
        try t.store.commit(StateChange(users: ["u-1": state], audit: [AuditEvent(time: Date(), kind: .admin, user: "u-1")]))
        #expect(try t.store.loadUser("u-1")?.lockouts == 3)
        #expect(try t.verifyAudit().valid)
    }

    /// An unreachable server is a `.io` store error (the service answers 503), not a crash or a hang.
    @Test func anUnreachableServerIsAnIOError() throws {
        #expect {
            _ = try PostgresStateStore(url: "postgres://riskgate@127.0.0.1:1/none?sslmode=disable", secrets: .ephemeral())
        } throws: { ($0 as? StoreError)?.code == .io }
    }
}

/// The URL forms `--state` accepts; no server needed.
@Suite struct PostgresLocationTests {
    @Test func readsURLsAndTakesThePasswordFromTheEnvironment() throws {
        let plain = try PostgresLocation(url: "postgres://rg@db.example:6543/risk?sslmode=require", environment: ["PGPASSWORD": "s3cret"])
        #expect(plain.host == "db.example" && plain.port == 6543 && plain.username == "rg" && plain.database == "risk")
        #expect(plain.password == "s3cret" && plain.sslMode == "require")
        let inline = try PostgresLocation(url: "postgresql://rg:p%40ss@localhost/risk", environment: ["PGPASSWORD": "other"])
        #expect(inline.password == "p@ss" && inline.port == 5432 && inline.sslMode == "prefer")
        #expect(!inline.redacted.contains("p@ss") && !inline.redacted.contains("p%40ss"))
        #expect(PostgresLocation.isURL("postgres://x") && !PostgresLocation.isURL("state.db"))
    }

    @Test(arguments: ["postgres://localhost/risk", "postgres://rg@localhost", "postgres://rg@localhost/risk?mode=x",
                      "postgres://rg@localhost/risk?sslmode=maybe", "postgres://rg:hunter2@/risk"])
    func refusesIncompleteURLsWithoutEchoingThem(url: String) throws {
        #expect {
            _ = try PostgresLocation(url: url, environment: [:])
        } throws: { error in
            guard let error = error as? StoreError else { return false }
            return error.code == .open && !error.description.contains("hunter2")
        }
    }

    /// CI sets RISKGATE_REQUIRE_POSTGRES=1: a missing or unreachable server then fails the run
    /// instead of skipping every PostgreSQL test.
    @Test(.enabled(if: TestPostgres.required))
    func theRequiredServerIsReachable() throws {
        let url = try #require(TestPostgres.baseURL, "RISKGATE_REQUIRE_POSTGRES=1 but RISKGATE_TEST_POSTGRES_URL is not set")
        try TestPostgres.admin(url, "SELECT 1")
    }
}

/// Errors collected from many threads.
final class ErrorList: @unchecked Sendable {
    private let lock = NSLock()
    private var errors: [any Error] = []
    func add(_ error: any Error) { lock.withLock { errors.append(error) } }
    var all: [any Error] { lock.withLock { errors } }
}
