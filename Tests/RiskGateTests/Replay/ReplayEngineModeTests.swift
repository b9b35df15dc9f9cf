import Foundation
import Testing
@testable import RiskGate
@testable import RiskGateEngine
@testable import RiskGatePolicy
@testable import RiskGateReplay

/// Replay keeps user states as values up to a user limit and encoded past it; the switch must not
/// change a single decision, tally or written-back state.
@Suite struct ReplayEngineModeTests {
    static let policyPath = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("policies/web-login.yaml").path

    /// Forwards to an engine and records every result in order.
    class Recording: ReplayDecider {
        let engine: ReplayEngine
        var results: [ReplayResult] = []
        init(_ engine: ReplayEngine) { self.engine = engine }

        func replay(_ event: RequestContext, attackerFailsChallenges: Bool) throws -> ReplayResult {
            let result = try engine.replay(event, attackerFailsChallenges: attackerFailsChallenges)
            results.append(result)
            return result
        }

        var ruleCatalogue: RuleCatalogue? { engine.ruleCatalogue }
    }

    struct Run {
        var report: ReplayReport
        var results: [ReplayResult]
        var userCount: Int
        var storedStateBytes: Int
        var encoded: Bool
        var written: [String: UserState]
        var modelBlob: Data?
    }

    static func stream(users: Int, events: Int) throws -> (path: String, users: [String]) {
        let writer = EventWriter(sink: .memory)
        var generator = LoginStreamGenerator(configuration: GeneratorConfiguration(users: users, events: events, seed: 11))
        _ = try generator.write(to: writer)
        let text = String(decoding: writer.collected, as: UTF8.self)
        let path = try temporaryFile(text)
        let ids = Set(try readAll(EventReader(path: path)).map(\.context.user))
        return (path, ids.sorted())
    }

    /// Replays `path` with `limit`, on a memory store already holding the states of a first pass over
    /// the stream's first `seedEvents` events (so some users are read from the store on first sight),
    /// writing back in small batches.
    static func run(_ path: String, users: [String], limit: Int, seedEvents: Int) throws -> Run {
        let policy = try #require(PolicyCompiler.compile(path: policyPath).policy)
        let store = MemoryStateStore(keepsAudit: false)
        let seeder = try ReplayEngine(policy: policy, backing: store, writesBack: true, batchSize: 64, decodedUserLimit: limit)
        for event in try readAll(EventReader(path: path)).prefix(seedEvents) {
            _ = try seeder.replay(event.context, attackerFailsChallenges: event.context.label?.isAttack == true)
        }
        try seeder.finish()

        let engine = try ReplayEngine(policy: policy, backing: store, writesBack: true, batchSize: 97, decodedUserLimit: limit)
        let recording = Recording(engine)
        var options = ReplayHarness.Options()
        options.batchSize = 128
        var report = try ReplayHarness.run(reader: EventReader(path: path), candidate: recording, options: options)
        report.eventsPerSecond = 0
        report.elapsedSeconds = 0
        report.peakMemoryBytes = 0
        try engine.finish()
        var written: [String: UserState] = [:]
        for user in users { written[user] = try store.loadUser(user) }
        return Run(report: report, results: recording.results, userCount: engine.userCount,
                   storedStateBytes: engine.storedStateBytes, encoded: engine.holdsEncodedStates,
                   written: written, modelBlob: try store.loadBlob(DecisionEngine.modelBlobKey))
    }

    @Test func valuesEncodedAndSwitchingMidRunGiveIdenticalResults() throws {
        let (path, users) = try Self.stream(users: 300, events: 4000)
        #expect(users.count > 100)
        let encoded = try Self.run(path, users: users, limit: 0, seedEvents: 600)
        let switching = try Self.run(path, users: users, limit: 50, seedEvents: 600)
        let values = try Self.run(path, users: users, limit: 1_000_000, seedEvents: 600)

        #expect(encoded.encoded)
        #expect(switching.encoded)
        #expect(!values.encoded)
        #expect(values.report.events == 4000)
        #expect(values.results.count == 4000)
        // Not a degenerate stream: several outcomes and some lockout or challenge history.
        #expect(Set(values.results.map(\.outcome)).count >= 2)

        for other in [encoded, switching] {
            #expect(other.results == values.results)
            #expect(other.report == values.report)
            #expect(other.userCount == values.userCount)
            #expect(other.storedStateBytes == values.storedStateBytes)
            #expect(other.written == values.written)
            #expect(other.modelBlob == values.modelBlob)
        }
        #expect(values.userCount == users.count)
        #expect(values.written.count == users.count)
        #expect(values.storedStateBytes > 0)
    }

    @Test func switchHappensWhenOneMoreUserArrives() throws {
        let policy = try #require(PolicyCompiler.compile(path: Self.policyPath).policy)
        let engine = try ReplayEngine(policy: policy, decodedUserLimit: 2)
        func event(_ user: String, _ second: Int) -> RequestContext {
            var context = RequestContext(user: user)
            context.time = Date(timeIntervalSince1970: 1_767_571_200 + Double(second))
            return context
        }
        _ = try engine.replay(event("a", 0), attackerFailsChallenges: false)
        _ = try engine.replay(event("b", 1), attackerFailsChallenges: false)
        _ = try engine.replay(event("a", 2), attackerFailsChallenges: false)
        #expect(!engine.holdsEncodedStates)
        #expect(engine.userCount == 2)
        _ = try engine.replay(event("c", 3), attackerFailsChallenges: false)
        #expect(engine.holdsEncodedStates)
        #expect(engine.userCount == 3)
        _ = try engine.replay(event("a", 4), attackerFailsChallenges: false)
        #expect(engine.userCount == 3)
    }

    @Test func firstUsersStayValuesUntilEncodedUsersCrowdThemOut() throws {
        let policy = try #require(PolicyCompiler.compile(path: Self.policyPath).policy)
        let engine = try ReplayEngine(policy: policy, decodedUserLimit: 10)
        var second = 0
        func replay(_ user: String) throws {
            var context = RequestContext(user: user)
            context.time = Date(timeIntervalSince1970: 1_767_571_200 + Double(second))
            second += 1
            _ = try engine.replay(context, attackerFailsChallenges: false)
        }
        for n in 0..<10 { try replay("u\(n)") }
        try replay("u0")
        #expect(engine.valueUsers == Set((0..<10).map { "u\($0)" }))
        #expect(!engine.holdsEncodedStates)

        // Later users are held encoded; five of them take one value's room: u1, used least recently, goes.
        for n in 10..<15 { try replay("u\(n)") }
        #expect(engine.holdsEncodedStates)
        #expect(engine.valueUsers == Set((0..<10).map { "u\($0)" }).subtracting(["u1"]))
        try replay("u1")
        #expect(!engine.valueUsers.contains("u1"))
        #expect(engine.userCount == 15)

        // Fifty encoded users leave no room for values at all.
        for n in 15..<60 { try replay("u\(n)") }
        #expect(engine.valueUsers.isEmpty)
        #expect(engine.userCount == 60)
    }
}
