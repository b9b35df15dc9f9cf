import Foundation
import RiskGate
import RiskGateEngine
import RiskGatePolicy

/// The decision pipeline for replay (docs/replay.md): the same decision step as ``DecisionEngine``
/// (``DecisionKernel``), with the user's side of each challenge played from the event's label.
///
/// Labelled attackers fail every challenge (one failure toward lockout per failed challenge) and
/// a `passive` outcome lets them in, into the user's history; everyone else passes. No codes are
/// generated and no audit is written: a replay is a simulation.
///
/// **Threads.** Users are split into shards by a stable hash of the user id (16 per thread, so
/// the threads stay evenly loaded); each shard owns its users' states (history, devices, templates,
/// counters, lockouts, evolving exactly as in the service), and ``replay(batch:)`` decides the
/// shards on `threads` threads at once.
///
/// **Epochs.** The only state shared between users is the login model's global statistics. The
/// service updates them live, and so does a replay on one thread (an epoch of one event). On
/// several threads a replay updates them per *epoch* of ``defaultEpochSize`` events (a fixed
/// constant, counted from the start of the run, not tied to threads or batches): every event of an
/// epoch is scored against the statistics as they were when the epoch began, and the epoch's
/// accepted logins join them at its end, in event order. So for one epoch size results are the same
/// for any number of threads and any batching (including one event at a time), and differ from the
/// strictly sequential replay only in that logins of the same epoch do not see each other's share
/// of the global counts.
///
/// User states live in memory. The first `decodedUserLimit` users (split evenly between the
/// shards) are kept as values and updated in place (fastest); later users are held encoded with
/// ``UserStateCodec`` (a kilobyte or so a user instead of several as values), each decoded for its
/// event and encoded again after it. Every five encoded users, the least recently active value is
/// encoded too, so memory stays about what the limit's values take until every state is encoded.
/// Results are the same either way. With a backing store (`riskgate replay --state DB`), users
/// are read from it on first sight and, when `writesBack` is set, the evolved states are written to
/// it about every `batchSize` events (at the start of the call after), and states and model
/// statistics at ``finish()``.
public final class ReplayEngine: ReplayBatchDecider {
    /// Events per epoch: the global statistics are updated at the end of each (see above).
    public static let defaultEpochSize = 1024
    /// Events per epoch for this engine: ``defaultEpochSize`` except in tests and experiments.
    package let epochSize: Int
    /// Most threads an engine uses.
    public static let maxThreads = 256
    /// Shards per thread when deciding on several threads.
    static let shardsPerThread = 16

    public let policy: CompiledPolicy
    /// Threads deciding a batch at once (``replay(batch:)``; one-at-a-time calls use the caller's thread).
    public let threads: Int

    /// The policy's decide and score rules, for the report's per-rule counts.
    public var ruleCatalogue: RuleCatalogue? { RuleCatalogue(decide: policy.outcomeRuleIDs, score: policy.scoreRuleIDs) }
    let globalStats: GlobalLoginStats
    let backing: (any StateStore)?
    let writesBack: Bool
    let batchSize: Int
    /// Most users kept as values over all shards; a shard's later users are held encoded.
    package let decodedUserLimit: Int
    private let shards: [ReplayShard]
    /// Events decided so far; the next event's sequence number.
    private var decidedEvents = 0
    private var sinceFlush = 0
    /// A write-back fell due; done at the start of the next call (see `advance`).
    private var flushDue = false
    /// The first event of the current epoch.
    private var epochStart = 0
    /// Reused per epoch: per event of the epoch, the shard and index of its pending login, or -1.
    private var epochSlots: [Int32] = []

    /// Creates a replay engine.
    ///
    /// - Parameters:
    ///   - decodedUserLimit: the first users kept as values (later ones are held encoded); the
    ///     default (100,000 users, ~0.7 GB) keeps any run well under 2 GiB. Each shard gets an equal share.
    ///   - threads: threads deciding at once in ``replay(batch:)`` (1 to ``maxThreads``).
    ///   - epochSize: events per epoch of the global statistics. By default one event with one
    ///     thread (exactly the service's order: every login sees every earlier one) and
    ///     ``defaultEpochSize`` with more; for a given epoch size, results do not depend on threads.
    /// - Throws: ``StoreError`` when the backing store cannot be read.
    public convenience init(policy: CompiledPolicy, geo: GeoDatabase? = nil, anonymousLists: [IPSet] = [],
                backing: (any StateStore)? = nil, writesBack: Bool = false, batchSize: Int = 20_000,
                decodedUserLimit: Int = 100_000, threads: Int = 1, epochSize: Int? = nil) throws {
        try self.init(policy: policy, geo: geo, anonymousLists: anonymousLists, backing: backing, writesBack: writesBack,
                      batchSize: batchSize, decodedUserLimit: decodedUserLimit, threads: threads,
                      epochSize: epochSize ?? (threads <= 1 ? 1 : Self.defaultEpochSize))
    }

    /// The designated initializer; `epochSize` as in the public one, without a default.
    package init(policy: CompiledPolicy, geo: GeoDatabase? = nil, anonymousLists: [IPSet] = [],
                 backing: (any StateStore)? = nil, writesBack: Bool = false, batchSize: Int = 20_000,
                 decodedUserLimit: Int = 100_000, threads: Int = 1, epochSize: Int) throws {
        self.epochSize = min(max(1, epochSize), 1 << 16)
        self.policy = policy
        self.decodedUserLimit = max(0, decodedUserLimit)
        self.threads = min(max(1, threads), Self.maxThreads)
        var lists = anonymousLists
        if !policy.anonymousIPs.isEmpty { lists.append(policy.anonymousIPs) }
        let computer = SignalComputer(settings: policy.settings, environment: SignalEnvironment(geo: geo, anonymousLists: lists))
        self.backing = backing
        self.writesBack = writesBack
        self.batchSize = max(1, batchSize)
        let stats: GlobalLoginStats
        if let blob = try backing?.loadBlob(DecisionEngine.modelBlobKey), let loaded = try? GlobalLoginStats(decoding: blob) {
            stats = loaded
        } else {
            stats = GlobalLoginStats()
        }
        globalStats = stats
        // Several shards per thread, claimed one at a time: a thread that finishes early (or was
        // not preempted by the reader) takes more, so one slow shard does not hold the batch up.
        let shardCount = self.threads == 1 ? 1 : self.threads * Self.shardsPerThread
        let perShard = self.decodedUserLimit / shardCount
        shards = (0..<shardCount).map { _ in
            ReplayShard(policy: policy, computer: computer, globalStats: stats, backing: backing,
                        tracksDirty: writesBack && backing != nil, decodedUserLimit: perShard)
        }
    }

    /// Shards users are split into.
    package var shardCount: Int { shards.count }

    /// Users seen so far.
    public var userCount: Int { shards.reduce(0) { $0 + $1.userCount } }

    /// Whether some states are held encoded (a shard passed its share of the user limit).
    package var holdsEncodedStates: Bool { shards.contains { $0.holdsEncoded } }

    /// Users whose state is held as a value (the others are held encoded).
    package var valueUsers: Set<String> { shards.reduce(into: []) { $0.formUnion($1.valueUsers) } }

    /// The states held encoded, in no particular order (for benchmarks of the codec on real states).
    package var encodedStates: [ContiguousArray<UInt8>] { shards.flatMap { Array($0.encodedStates) } }

    /// Distinct values the model's global statistics hold (their table's size drives memory).
    package var globalDistinctValues: Int { globalStats.distinctValues }

    /// Bytes of all user states held, as encoded (users still kept as values are counted by the size
    /// they would take encoded; the tables' own overhead is not counted).
    package var storedStateBytes: Int { shards.reduce(0) { $0 + $1.storedStateBytes } }

    public func replay(_ event: RequestContext, attackerFailsChallenges: Bool) throws -> ReplayResult {
        if flushDue { try flush() }
        let shard = shards[StableUserHash.shard(of: event.user, count: shards.count)]
        let wrapped = ReplayEvent(line: 0, context: event, seconds: 0)
        let result = try withUnsafePointer(to: wrapped) {
            try shard.replay($0, sequence: decidedEvents, attackerFailsChallenges: attackerFailsChallenges)
        }
        advance(by: 1)
        return result
    }

    public func replay(batch events: [ReplayEvent]) throws -> [ReplayResult] {
        if flushDue {
            do {
                try flush()
            } catch {
                throw ReplayError.decider(line: events.first?.line ?? 0, message: String(describing: error))
            }
        }
        var results = [ReplayResult](repeating: ReplayResult(outcome: .passive, score: 0, rule: ""), count: events.count)
        var start = 0
        while start < events.count {
            // A segment never crosses an epoch's end.
            let end = min(events.count, start + epochSize - decidedEvents % epochSize)
            try decide(events, start..<end, into: &results)
            advance(by: end - start)
            start = end
        }
        return results
    }

    /// Counts decided events: closes the epoch at its end and notes when a write-back is due.
    ///
    /// The write-back itself waits for the next call: a baseline reading the same store (side by
    /// side with this engine, or right after it on the same event) has by then read every user the
    /// write-back holds, since both meet each user first on the same event. So the baseline always
    /// starts users from the store's initial contents, whatever the timing.
    private func advance(by count: Int) {
        decidedEvents += count
        if decidedEvents % epochSize == 0 { closeEpoch() }
        if writesBack {
            sinceFlush += count
            if sinceFlush >= batchSize { flushDue = true }
        }
    }

    /// Decides `events[range]` (within one epoch), each shard its own users, on up to `threads` threads.
    private func decide(_ events: [ReplayEvent], _ range: Range<Int>, into results: inout [ReplayResult]) throws {
        let first = decidedEvents - range.lowerBound
        if shards.count == 1 {
            let shard = shards[0]
            try events.withUnsafeBufferPointer { events in
                for i in range {
                    do {
                        results[i] = try shard.replay(events.baseAddress! + i, sequence: first + i,
                                                      attackerFailsChallenges: events[i].attackerFailsChallenges)
                    } catch {
                        throw ReplayError.decider(line: events[i].line, message: String(describing: error))
                    }
                }
            }
            return
        }
        let plan = ShardPlan(events, range, shards: shards)
        // Through pointers, the threads read each event in place: indexing the captured array
        // copied the whole event (a retain and release of each of its strings) on every access.
        events.withUnsafeBufferPointer { input in
            results.withUnsafeMutableBufferPointer { buffer in
                let output = SharedResults(buffer: buffer)
                let events = SharedEvents(buffer: input)
                // `threads` workers claim shards until none is left; each shard writes only its events' slots.
                DispatchQueue.concurrentPerform(iterations: threads) { _ in
                    while let s = plan.claim() {
                        let shard = plan.shards[s]
                        for i in plan.events(of: s) {
                            do {
                                output.buffer[i] = try shard.replay(events.buffer.baseAddress! + i, sequence: first + i,
                                                                    attackerFailsChallenges: events.buffer[i].attackerFailsChallenges)
                            } catch {
                                plan.fail(s, index: i, error: error)
                                break
                            }
                        }
                    }
                }
            }
        }
        if let (index, error) = plan.firstFailure() {
            throw ReplayError.decider(line: events[index].line, message: String(describing: error))
        }
    }

    /// Applies the epoch's accepted logins to the global statistics, in event order.
    private func closeEpoch() {
        defer { epochStart = decidedEvents }
        if shards.count == 1 {
            shards[0].recordPending(into: globalStats)
            return
        }
        // Each login's place in the epoch, then one pass in event order: no copying, no sorting.
        if epochSlots.count < epochSize { epochSlots = [Int32](repeating: -1, count: epochSize) }
        for (s, shard) in shards.enumerated() {
            for k in shard.pending.indices {
                let offset = shard.pending[k].sequence - epochStart
                guard offset >= 0 && offset < epochSize else { continue }  // cannot happen: see `advance`
                epochSlots[offset] = Int32(truncatingIfNeeded: s << 16 | k)
            }
        }
        for offset in 0..<epochSize where epochSlots[offset] >= 0 {
            let slot = Int(epochSlots[offset])
            shards[slot >> 16].recordPending(slot & 0xFFFF, into: globalStats)
            epochSlots[offset] = -1
        }
        for shard in shards { shard.pending.removeAll(keepingCapacity: true) }
    }

    /// Writes pending user states to the backing store (when writing back) in one transaction.
    ///
    /// - Throws: ``StoreError`` when the store fails.
    public func flush() throws {
        sinceFlush = 0
        flushDue = false
        guard writesBack, let backing else { return }
        var change = StateChange()
        for shard in shards { try shard.takeDirty(into: &change) }
        try backing.commit(change)
    }

    /// Ends the last epoch and flushes everything, including the model's global statistics.
    ///
    /// - Throws: ``StoreError`` when the store fails.
    public func finish() throws {
        closeEpoch()
        try flush()
        guard writesBack, let backing else { return }
        try backing.commit(StateChange(blobs: [DecisionEngine.modelBlobKey: globalStats.encoded()]))
    }
}

/// The batch's result slots, written by the shards' threads at disjoint indices.
private struct SharedResults: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<ReplayResult>
}

/// The batch's events, read (never written) by the shards' threads while they decide.
private struct SharedEvents: @unchecked Sendable {
    let buffer: UnsafeBufferPointer<ReplayEvent>
}

/// Which shard decides which events of a batch, handed to the deciding threads: each shard is
/// claimed by exactly one thread, and the engine touches none until all threads are done.
private final class ShardPlan: @unchecked Sendable {
    let shards: [ReplayShard]
    /// Event indices grouped by shard, in batch order within each: shard `s` has
    /// `order[starts[s]..<starts[s + 1]]`.
    private let order: [Int]
    private let starts: [Int]
    private let lock = NSLock()
    private var next = 0
    private var failures: [(index: Int, error: any Error)?]

    init(_ events: [ReplayEvent], _ range: Range<Int>, shards: [ReplayShard]) {
        self.shards = shards
        let owners = range.map { StableUserHash.shard(of: events[$0].context.user, count: shards.count) }
        var starts = [Int](repeating: 0, count: shards.count + 1)
        for owner in owners { starts[owner + 1] += 1 }
        for s in 0..<shards.count { starts[s + 1] += starts[s] }
        var fill = starts
        var order = [Int](repeating: 0, count: owners.count)
        for (offset, owner) in owners.enumerated() {
            order[fill[owner]] = range.lowerBound + offset
            fill[owner] += 1
        }
        self.order = order
        self.starts = starts
        failures = Array(repeating: nil, count: shards.count)
    }

    /// The events of shard `s`, in batch order.
    func events(of s: Int) -> ArraySlice<Int> { order[starts[s]..<starts[s + 1]] }

    /// The next unclaimed shard, or nil when all are taken.
    func claim() -> Int? {
        lock.withLock {
            guard next < shards.count else { return nil }
            defer { next += 1 }
            return next
        }
    }

    /// Notes the first failure of shard `s` (it stops there).
    func fail(_ s: Int, index: Int, error: any Error) {
        lock.withLock { failures[s] = (index, error) }
    }

    /// The failure of the earliest event, if any.
    func firstFailure() -> (Int, any Error)? {
        lock.withLock { failures.compactMap { $0 }.min { $0.index < $1.index } }
    }
}
