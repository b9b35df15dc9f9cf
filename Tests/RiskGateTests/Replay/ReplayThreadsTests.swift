import Foundation
import Testing
@testable import RiskGate
@testable import RiskGateEngine
@testable import RiskGatePolicy
@testable import RiskGateReplay

/// Replay splits users between threads and updates the global statistics per epoch; neither the
/// number of threads nor how events are handed over (one at a time, batches of any size) may
/// change a decision, the report or a written-back state. A baseline decided side by side with
/// the candidate gives the report of the two run one after the other.
@Suite struct ReplayThreadsTests {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let candidatePath = root.appendingPathComponent("policies/web-login.yaml").path
    static let baselinePath = root.appendingPathComponent("policies/high-risk-actions.yaml").path

    /// Forwards whole batches to an engine and records every result in order.
    final class BatchRecording: ReplayEngineModeTests.Recording, ReplayBatchDecider {
        func replay(batch events: [ReplayEvent]) throws -> [ReplayResult] {
            let batch = try engine.replay(batch: events)
            results += batch
            return batch
        }
    }

    /// How the harness hands events to the engine.
    enum Feeding: CustomStringConvertible {
        /// Batches of this size through ``ReplayBatchDecider/replay(batch:)``.
        case batches(Int)
        /// One event at a time (the decider offers no batch method).
        case oneAtATime

        var description: String {
            switch self {
            case .batches(let size): "batches of \(size)"
            case .oneAtATime: "one at a time"
            }
        }
    }

    typealias Run = ReplayEngineModeTests.Run

    static func withoutTiming(_ report: ReplayReport) -> ReplayReport {
        var report = report
        report.eventsPerSecond = 0
        report.elapsedSeconds = 0
        report.peakMemoryBytes = 0
        return report
    }

    /// Replays `path` with `threads` on a memory store seeded by a first pass over the first
    /// `seedEvents` events, writing back every 97 events, and collects everything observable.
    static func run(_ path: String, users: [String], threads: Int, limit: Int, feeding: Feeding,
                    seedEvents: Int = 700) throws -> Run {
        let policy = try #require(PolicyCompiler.compile(path: candidatePath).policy)
        let store = MemoryStateStore(keepsAudit: false)
        let seeder = try ReplayEngine(policy: policy, backing: store, writesBack: true, batchSize: 64,
                                      decodedUserLimit: limit, threads: threads, epochSize: ReplayEngine.defaultEpochSize)
        for event in try readAll(EventReader(path: path)).prefix(seedEvents) {
            _ = try seeder.replay(event.context, attackerFailsChallenges: event.context.label?.isAttack == true)
        }
        try seeder.finish()

        let engine = try ReplayEngine(policy: policy, backing: store, writesBack: true, batchSize: 97,
                                      decodedUserLimit: limit, threads: threads, epochSize: ReplayEngine.defaultEpochSize)
        var options = ReplayHarness.Options()
        let report: ReplayReport
        let results: [ReplayResult]
        switch feeding {
        case .batches(let size):
            options.batchSize = size
            let recording = BatchRecording(engine)
            report = try ReplayHarness.run(reader: EventReader(path: path), candidate: recording, options: options)
            results = recording.results
        case .oneAtATime:
            let recording = ReplayEngineModeTests.Recording(engine)
            report = try ReplayHarness.run(reader: EventReader(path: path), candidate: recording, options: options)
            results = recording.results
        }
        try engine.finish()
        var written: [String: UserState] = [:]
        for user in users { written[user] = try store.loadUser(user) }
        return Run(report: withoutTiming(report), results: results, userCount: engine.userCount,
                   storedStateBytes: engine.storedStateBytes, encoded: engine.holdsEncodedStates,
                   written: written, modelBlob: try store.loadBlob(DecisionEngine.modelBlobKey))
    }

    static func expectSame(_ run: Run, as reference: Run, _ what: String,
                           sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(run.results.count == reference.results.count, "\(what)", sourceLocation: sourceLocation)
        if let first = zip(run.results, reference.results).enumerated().first(where: { $0.element.0 != $0.element.1 }) {
            Issue.record("\(what): event \(first.offset) decided \(first.element.0), expected \(first.element.1)",
                         sourceLocation: sourceLocation)
        }
        #expect(run.report == reference.report, "\(what)", sourceLocation: sourceLocation)
        #expect(run.userCount == reference.userCount, "\(what)", sourceLocation: sourceLocation)
        #expect(run.storedStateBytes == reference.storedStateBytes, "\(what)", sourceLocation: sourceLocation)
        #expect(run.written == reference.written, "\(what)", sourceLocation: sourceLocation)
        #expect(run.modelBlob == reference.modelBlob, "\(what)", sourceLocation: sourceLocation)
    }

    @Test(arguments: [1_000_000, 24])
    func threadsAndBatchingDoNotChangeAnything(limit: Int) throws {
        // More than two epochs, so the global statistics are updated mid-run and at the end.
        let (path, users) = try ReplayEngineModeTests.stream(users: 300, events: 5000)
        let reference = try Self.run(path, users: users, threads: 1, limit: limit, feeding: .batches(1024))

        #expect(reference.results.count == 5000)
        #expect(reference.report.events == 5000)
        // Not a degenerate stream: attacks, several outcomes, users written back, a model learned.
        let attacks = try readAll(EventReader(path: path)).filter { $0.context.label?.isAttack == true }.count
        #expect(attacks > 50)
        #expect(Set(reference.results.map(\.outcome)).count >= 3)
        #expect(reference.written.count == users.count)
        #expect(reference.modelBlob != nil)
        #expect(reference.encoded == (limit < users.count))

        let variants: [(Int, Feeding)] = [(1, .oneAtATime), (1, .batches(100)), (2, .batches(1024)), (2, .oneAtATime),
                                          (3, .batches(1000)), (3, .batches(128)), (2, .batches(4096))]
        for (threads, feeding) in variants {
            let run = try Self.run(path, users: users, threads: threads, limit: limit, feeding: feeding)
            Self.expectSame(run, as: reference, "\(threads) threads, \(feeding), limit \(limit)")
            #expect(run.encoded == (limit < users.count))
        }
    }

    /// One thread (the default) is the service's order: an accepted login is in the global
    /// statistics before the next event is decided. Two threads wait for the epoch's end.
    @Test func oneThreadUpdatesTheGlobalStatisticsAfterEveryLogin() throws {
        let policy = try #require(PolicyCompiler.compile(path: Self.candidatePath).policy)
        let sequential = try ReplayEngine(policy: policy)
        let parallel = try ReplayEngine(policy: policy, threads: 2)
        #expect(sequential.epochSize == 1)
        #expect(parallel.epochSize == ReplayEngine.defaultEpochSize)
        var context = RequestContext(user: "u-1")
        context.ip = "81.2.69.160"
        context.result = "success"
        for (i, engine) in [sequential, parallel].enumerated() {
            for second in 0..<3 {
                context.time = Date(timeIntervalSince1970: 1_767_571_200 + Double(second) * 86_400)
                _ = try engine.replay(context, attackerFailsChallenges: false)
                #expect(engine.globalStats.totalLogins == (i == 0 ? second + 1 : 0))
            }
        }
    }

    @Test func sharesOfTheUserLimitAreEncodedPerShard() throws {
        let policy = try #require(PolicyCompiler.compile(path: Self.candidatePath).policy)
        let engine = try ReplayEngine(policy: policy, decodedUserLimit: 2 * 32, threads: 2)
        let shards = engine.shardCount
        try #require(shards == 32)
        var context = RequestContext(user: "")
        var second = 0.0
        // Users until one shard holds three (its share is two): it encodes, the engine reports so.
        var perShard = [Int](repeating: 0, count: shards)
        while perShard.max() ?? 0 < 3 {
            context.user = "user-\(Int(second))"
            context.time = Date(timeIntervalSince1970: 1_767_571_200 + second)
            second += 1
            #expect(!engine.holdsEncodedStates)
            _ = try engine.replay(context, attackerFailsChallenges: false)
            perShard[StableUserHash.shard(of: context.user, count: shards)] += 1
        }
        #expect(engine.holdsEncodedStates)
        #expect(engine.userCount == Int(second))
        // Fewer users than the whole limit: the switch is per shard.
        #expect(engine.userCount < 2 * 32)
    }

    @Test func stableHashIsFNV1a() {
        // Published FNV-1a 64 test vectors: independent of the process's hash seed.
        #expect(StableUserHash.hash("") == 0xcbf2_9ce4_8422_2325)
        #expect(StableUserHash.hash("a") == 0xaf63_dc4c_8601_ec8c)
        #expect(StableUserHash.hash("foobar") == 0x8594_4171_f739_67e8)
        #expect(StableUserHash.shard(of: "anyone", count: 1) == 0)
    }

    @Test func baselineSideBySideMatchesOneAfterTheOther() throws {
        let (path, _) = try ReplayEngineModeTests.stream(users: 200, events: 3000)
        let candidatePolicy = try #require(PolicyCompiler.compile(path: Self.candidatePath).policy)
        let baselinePolicy = try #require(PolicyCompiler.compile(path: Self.baselinePath).policy)
        var options = ReplayHarness.Options()
        options.batchSize = 500

        // Side by side: both engines batch-deciding, and a baseline that takes one event at a time.
        let together = try ReplayHarness.run(
            reader: EventReader(path: path), candidate: ReplayEngine(policy: candidatePolicy, threads: 2),
            baseline: ReplayEngine(policy: baselinePolicy, threads: 2), options: options)
        let mixed = try ReplayHarness.run(
            reader: EventReader(path: path), candidate: ReplayEngine(policy: candidatePolicy, threads: 1, epochSize: ReplayEngine.defaultEpochSize),
            baseline: ReplayEngineModeTests.Recording(ReplayEngine(policy: baselinePolicy, threads: 1,
                                                                   epochSize: ReplayEngine.defaultEpochSize)), options: options)

        // One after the other: each policy alone, results tallied together afterwards.
        let candidate = BatchRecording(try ReplayEngine(policy: candidatePolicy, threads: 2))
        let alone = try ReplayHarness.run(reader: EventReader(path: path), candidate: candidate, options: options)
        let baseline = BatchRecording(try ReplayEngine(policy: baselinePolicy, threads: 2))
        _ = try ReplayHarness.run(reader: EventReader(path: path), candidate: baseline, options: options)
        let reader = try EventReader(path: path)
        let events = try readAll(reader)
        try #require(events.count == candidate.results.count && events.count == baseline.results.count)
        var tally = ReplayTally(withBaseline: true)
        for (i, event) in events.enumerated() {
            tally.add(event, candidate: candidate.results[i], baseline: baseline.results[i])
        }
        let sequential = tally.report(lines: reader.lineNumber, badLines: reader.badLineCount,
                                      badLineExamples: reader.badLines, elapsedSeconds: 0, peakMemoryBytes: 0,
                                      candidateRules: candidate.ruleCatalogue, baselineRules: baseline.ruleCatalogue)

        #expect(Self.withoutTiming(together) == Self.withoutTiming(sequential))
        #expect(Self.withoutTiming(mixed) == Self.withoutTiming(sequential))
        // The policies differ, so the comparison is not vacuous.
        #expect(candidate.results != baseline.results)
        #expect(together.baseline != nil)
        // The candidate's own numbers are those of the candidate alone.
        #expect(together.events == alone.events)
    }

    @Test func aBaselineOnTheCandidatesStoreStartsFromItsInitialContents() throws {
        let (path, users) = try ReplayEngineModeTests.stream(users: 200, events: 3000)
        let candidatePolicy = try #require(PolicyCompiler.compile(path: Self.candidatePath).policy)
        let baselinePolicy = try #require(PolicyCompiler.compile(path: Self.baselinePath).policy)
        let events = try readAll(EventReader(path: path))
        /// A store holding the states a first pass over the first 700 events left.
        func seededStore() throws -> MemoryStateStore {
            let store = MemoryStateStore(keepsAudit: false)
            let seeder = try ReplayEngine(policy: candidatePolicy, backing: store, writesBack: true)
            for event in events.prefix(700) {
                _ = try seeder.replay(event.context, attackerFailsChallenges: event.context.label?.isAttack == true)
            }
            try seeder.finish()
            return store
        }
        var options = ReplayHarness.Options()
        options.batchSize = 256

        // Side by side on one store, the candidate writing back every 97 events.
        let shared = try seededStore()
        let candidate = try ReplayEngine(policy: candidatePolicy, backing: shared, writesBack: true, batchSize: 97, threads: 2)
        let together = try ReplayHarness.run(
            reader: EventReader(path: path), candidate: candidate,
            baseline: ReplayEngine(policy: baselinePolicy, backing: shared, threads: 2), options: options)
        try candidate.finish()

        // One after the other, the baseline on its own copy of the initial store.
        let alone = BatchRecording(try ReplayEngine(policy: candidatePolicy, backing: try seededStore(), threads: 2))
        _ = try ReplayHarness.run(reader: EventReader(path: path), candidate: alone, options: options)
        let baseline = BatchRecording(try ReplayEngine(policy: baselinePolicy, backing: try seededStore(), threads: 2))
        _ = try ReplayHarness.run(reader: EventReader(path: path), candidate: baseline, options: options)
        var tally = ReplayTally(withBaseline: true)
        for (i, event) in events.enumerated() {
            tally.add(event, candidate: alone.results[i], baseline: baseline.results[i])
        }
        let sequential = tally.report(lines: events.count, badLines: 0, badLineExamples: [], elapsedSeconds: 0, peakMemoryBytes: 0,
                                      candidateRules: alone.ruleCatalogue, baselineRules: baseline.ruleCatalogue)
        #expect(Self.withoutTiming(together) == sequential)
        // The candidate did write back while the baseline was reading.
        let written = try users.compactMap { try shared.loadUser($0) }
        #expect(written.count == users.count)
    }

    @Test func aFailingStoreNamesTheFirstFailingLineWithThreads() throws {
        let policy = try #require(PolicyCompiler.compile(path: Self.candidatePath).policy)
        let engine = try ReplayEngine(policy: policy, backing: FailingStore(), threads: 2)
        var events: [ReplayEvent] = []
        for i in 0..<40 {
            var context = RequestContext(user: "u-\(i)")
            context.time = Date(timeIntervalSince1970: 1_767_571_200 + Double(i))
            events.append(ReplayEvent(line: i + 1, context: context, seconds: 1_767_571_200 + Double(i)))
        }
        #expect(throws: ReplayError.decider(line: 1, message: String(describing: FailingStore.Failure()))) {
            _ = try engine.replay(batch: events)
        }
    }

    /// A store whose reads fail, as a broken SQLite file would.
    final class FailingStore: StateStore, @unchecked Sendable {
        struct Failure: Error, CustomStringConvertible {
            var description: String { "disk on fire" }
        }
        let secrets = SecretsKeyring.ephemeral()
        func loadUser(_ user: String) throws -> UserState? { throw Failure() }
        func loadChallenge(_ id: String) throws -> Challenge? { nil }
        func loadBlob(_ key: String) throws -> Data? { nil }
        func commit(_ change: StateChange) throws {}
        func auditEntries() throws -> [AuditRecord] { [] }
        func auditEntries(after id: Int64, limit: Int) throws -> [AuditRecord] { [] }
        func auditHead() throws -> (id: Int64, hash: String)? { nil }
        func auditCheckpoint() throws -> AuditCheckpoint? { nil }
        func pruneAudit(through id: Int64, at time: Date) throws -> AuditCheckpoint { throw Failure() }
        func outbox(limit: Int) throws -> [OutboxMessage] { [] }
        func removeOutbox(_ ids: [Int64]) throws {}
        func deferOutbox(_ id: Int64, attempts: Int, nextAttempt: Date) throws {}
        func deadLetterOutbox(_ id: Int64, attempts: Int, reason: String, at time: Date) throws {}
        func deadLetters(limit: Int) throws -> [DeadLetter] { [] }
        func retryDeadLetters(_ ids: [Int64]?) throws -> [Int64] { [] }
    }
}
