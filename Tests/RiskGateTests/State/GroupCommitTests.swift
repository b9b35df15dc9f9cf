import CSQLite
import Foundation
import Testing
@testable import RiskGate
@testable import RiskGateEngine
@testable import RiskGatePolicy

/// The SQLite store's writer thread, group commit and write-through user cache.
@Suite struct GroupCommitTests {
    /// Many concurrent decisions: every one is stored once, in one valid audit chain, and each
    /// user's state reflects all of that user's decisions (none lost to a stale cached read).
    @Test func concurrentDecisionsAllLandInOneValidChain() async throws {
        let dir = TempDirectory()
        defer { dir.cleanup() }
        let path = dir.path("state.db")
        let clock = ManualClock(Timestamp.parse("2026-11-20T12:00:00Z")!)
        let store = try SQLiteStateStore(path: path)
        let engine = try DecisionEngine(policy: DecisionEngineTests.policy(), store: store, clock: clock)
        let users = 12, perUser = 15
        try await withThrowingTaskGroup(of: Void.self) { group in
            for u in 0..<users {
                group.addTask {
                    for i in 0..<perUser {
                        // Known good location, failing first factor: each one is a counted failure.
                        let minute = String(format: "%02d", i)
                        _ = try await engine.decide(DecisionEngineTests.request(
                            "u-\(u)", "2026-11-20T11:\(minute):00Z", ip: "81.2.69.1", country: "DE", lat: 52.5, lon: 13.4,
                            result: i % 3 == 0 ? "failure" : "success"))
                    }
                }
            }
            try await group.waitForAll()
        }
        let audit = try store.auditEntries()
        #expect(audit.count == users * perUser)
        #expect(try AuditVerifier.verify(store: store).valid)
        // A fresh store (no cache) reads what was committed, and it matches the cached view.
        let reopened = try SQLiteStateStore(path: path)
        for u in 0..<users {
            let cached = try #require(try store.loadUser("u-\(u)"))
            #expect(try reopened.loadUser("u-\(u)") == cached)
            #expect(cached.failures.count + cached.lockouts * 5 >= 1)
        }
    }

    /// A refused change (stale challenge revision) fails alone; changes queued with it commit.
    @Test func aConflictFailsOnlyItsOwnChange() throws {
        let dir = TempDirectory()
        defer { dir.cleanup() }
        let store = try SQLiteStateStore(path: dir.path("state.db"))
        let f = ChallengeFixture(store: store)
        try f.enroll()
        let (made, _) = try f.issue()
        let challenge = try #require(made.challenge)
        var stale = UserState()
        stale.lockouts = 7
        let bad = store.beginCommit(StateChange(users: ["stale-user": stale], challenges: [challenge]))
        var good = UserState()
        good.lockouts = 3
        let fine = store.beginCommit(StateChange(users: ["good-user": good],
                                                 audit: [AuditEvent(time: Date(), kind: .admin, user: "good-user")]))
        #expect { try bad.wait() } throws: { ($0 as? StoreError)?.code == .conflict }
        try fine.wait()
        // The failed change's state is neither stored nor served from the cache.
        #expect(try store.loadUser("stale-user") == nil)
        #expect(try store.loadUser("good-user")?.lockouts == 3)
        #expect(try AuditVerifier.verify(store: store).valid)
    }

    /// A user written by several changes of one batch gets one row write, the last one; when the
    /// last change fails, the row of the last change that committed is written instead.
    @Test func aBatchWritesEachUserOnceAndKeepsTheLastAcknowledgedState() throws {
        let dir = TempDirectory()
        defer { dir.cleanup() }
        let path = dir.path("state.db")
        // A challenge at revision 0 in the file, so a second revision-0 write of it conflicts.
        let challenge: Challenge
        let auditBefore: Int
        do {
            let store = try SQLiteStateStore(path: path)
            let f = ChallengeFixture(store: store)
            try f.enroll()
            challenge = try #require(try f.issue().0.challenge)
            auditBefore = try store.auditEntries().count
        }
        func state(_ lockouts: Int) -> UserState {
            var s = UserState()
            s.lockouts = lockouts
            return s
        }
        func change(_ users: [String: UserState], challenges: [Challenge] = []) throws -> SQLiteWriter.PreparedChange {
            try SQLiteWriter.PreparedChange(StateChange(users: users, challenges: challenges,
                                                        audit: [AuditEvent(time: Date(), kind: .admin, user: "x")]), path: path)
        }
        func succeeded(_ results: [Result<Void, StoreError>]) -> [Bool] {
            results.map { if case .success = $0 { true } else { false } }
        }
        let connection = try SQLiteConnection(path: path, create: false)
        let writer = SQLiteWriter(connection: connection, cache: UserStateCache(capacity: 0), path: path,
                                  auditKey: try SecretsKeyFile.load(path: SecretsKeyFile.defaultPath(forDatabase: path)).current)
        let first = writer.writeBatch([
            try change(["hot": state(1), "a": state(1)]),
            try change(["hot": state(2)]),
            try change(["hot": state(3)]),
            try change(["a": state(4)]),
        ])
        #expect(succeeded(first) == [true, true, true, true])
        #expect(writer.userRowsWritten == 2)  // hot's third row and a's second
        let second = writer.writeBatch([
            try change(["hot": state(5), "b": state(5)]),
            // The stale challenge revision refuses this change after its rows were written: they
            // are rolled back and the held-back rows of the first change are written instead.
            try change(["hot": state(6), "b": state(6)], challenges: [challenge]),
        ])
        connection.close()
        #expect(succeeded(second) == [true, false])
        #expect(writer.userRowsWritten == 2 + 4)  // two rows rolled back, two held-back rows
        let reopened = try SQLiteStateStore(path: path)
        #expect(try reopened.loadUser("hot")?.lockouts == 5)
        #expect(try reopened.loadUser("a")?.lockouts == 4)
        #expect(try reopened.loadUser("b")?.lockouts == 5)
        #expect(try AuditVerifier.verify(store: reopened).valid)
        #expect(try reopened.auditEntries().count == auditBefore + 5)
    }

    /// A write by another process (here another store on the same file) is seen after the next commit.
    /// A store (the service) that has cached `u-1` with home country DE, after another connection
    /// (the command line) changed it to FR.
    func serverWithForeignChange(_ path: String) throws -> SQLiteStateStore {
        let server = try SQLiteStateStore(path: path)
        var state = UserState()
        state.profile.homeCountry = "DE"
        try server.commit(StateChange(users: ["u-1": state]))
        #expect(try server.loadUser("u-1")?.profile.homeCountry == "DE")
        let cli = try SQLiteStateStore(path: path)
        var changed = try #require(try cli.loadUser("u-1"))
        changed.profile.homeCountry = "FR"
        try cli.commit(StateChange(users: ["u-1": changed]))
        return server
    }

    @Test func writesByAnotherConnectionInvalidateTheCache() throws {
        let dir = TempDirectory()
        defer { dir.cleanup() }
        let server = try serverWithForeignChange(dir.path("state.db"))
        try server.commit(StateChange(audit: [AuditEvent(time: Date(), kind: .admin, user: "other")]))
        #expect(try server.loadUser("u-1")?.profile.homeCountry == "FR")
    }

    /// An idle service (no commit of its own) still sees another process's change within its poll.
    @Test func anIdleStoreNoticesAnotherConnectionsWrite() throws {
        let dir = TempDirectory()
        defer { dir.cleanup() }
        let server = try serverWithForeignChange(dir.path("state.db"))
        // No commit by the server: only its idle writer's poll can notice.
        var seen: String?
        for _ in 0..<100 {
            seen = try server.loadUser("u-1")?.profile.homeCountry
            if seen == "FR" { break }
            Thread.sleep(forTimeInterval: 0.02)
        }
        #expect(seen == "FR")
    }

    /// With the cache off every read goes to the file, and queued writes are still read back.
    @Test func cacheOffStillReadsQueuedWrites() throws {
        let dir = TempDirectory()
        defer { dir.cleanup() }
        var options = SQLiteStateStore.Options()
        options.cachedUsers = 0
        let store = try SQLiteStateStore(path: dir.path("state.db"), options: options)
        var pending: [PendingCommit] = []
        for i in 0..<50 {
            var state = UserState()
            state.lockouts = i
            pending.append(store.beginCommit(StateChange(users: ["u": state])))
            #expect(try store.loadUser("u")?.lockouts == i)
        }
        for p in pending { try p.wait() }
        #expect(try store.loadUser("u")?.lockouts == 49)
    }
}
