import Foundation

/// The decision pipeline for replay (SPEC §7): the same signals, model, score and decision graph
/// as ``DecisionEngine``, with the user's side of each challenge played from the event's label.
///
/// Labelled attackers fail every challenge (one failure toward lockout per failed challenge) and
/// a `passive` outcome lets them in, into the user's history; everyone else passes. No codes are
/// generated and no audit is written: a replay is a simulation.
///
/// **Threads.** Users are split into `threads` shards by a stable hash of the user id; each shard
/// owns its users' states (history, devices, templates, counters, lockouts, evolving exactly as in
/// the service), and ``replay(batch:)`` decides the shards on that many threads at once.
///
/// **Epochs.** The only state shared between users is the login model's global statistics. The
/// service updates them live; a replay updates them per *epoch* of ``epochSize`` events (a fixed
/// constant, counted from the start of the run, not tied to threads or batches): every event of an
/// epoch is scored against the statistics as they were when the epoch began, and the epoch's
/// accepted logins join them at its end, in event order. So results are the same for any number of
/// threads and any batching (including one event at a time), and differ from a strictly sequential
/// replay only in that logins of the same epoch do not see each other's share of the global counts.
///
/// User states live in memory. Up to `decodedUserLimit` users (split evenly between the shards)
/// they are kept as values and updated in place (fastest); when one more user arrives at a shard,
/// its states are encoded once with ``UserStateCodec`` (a kilobyte or so a user instead of several
/// as values) and, for the rest of the run, each is decoded for its event and encoded again after
/// it. Results are the same either way. With a backing store (`riskgate replay --state DB`), users
/// are read from it on first sight and, when `writesBack` is set, the evolved states are written to
/// it about every `batchSize` events, and states and model statistics at ``finish()``.
public final class ReplayEngine: ReplayBatchDecider {
    /// Events per epoch: the global statistics are updated at the end of each (see above).
    public static let epochSize = 1024

    public let policy: CompiledPolicy
    /// Shards, and so threads, deciding at once.
    public let threads: Int
    let globalStats: GlobalLoginStats
    let backing: (any StateStore)?
    let writesBack: Bool
    let batchSize: Int
    /// Most users kept as values over all shards; past a shard's share, its states are held encoded.
    package let decodedUserLimit: Int
    private let shards: [ReplayShard]
    /// Events decided so far; the next event's sequence number.
    private var decidedEvents = 0
    private var sinceFlush = 0
    /// Reused per batch: the shard of each event.
    private var assignment: [Int] = []

    /// Creates a replay engine.
    ///
    /// - Parameters:
    ///   - decodedUserLimit: users kept as values before states switch to encoded; the default
    ///     (100,000 users, ~0.7 GB) keeps any run well under 2 GiB. Each shard gets an equal share.
    ///   - threads: shards deciding at once in ``replay(batch:)`` (at least 1); results do not depend on it.
    /// - Throws: ``StoreError`` when the backing store cannot be read.
    public init(policy: CompiledPolicy, geo: GeoDatabase? = nil, anonymousLists: [IPSet] = [],
                backing: (any StateStore)? = nil, writesBack: Bool = false, batchSize: Int = 20_000,
                decodedUserLimit: Int = 100_000, threads: Int = 1) throws {
        self.policy = policy
        self.decodedUserLimit = max(0, decodedUserLimit)
        self.threads = max(1, threads)
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
        let perShard = self.decodedUserLimit / self.threads
        shards = (0..<self.threads).map { _ in
            ReplayShard(policy: policy, computer: computer, globalStats: stats, backing: backing,
                        tracksDirty: writesBack && backing != nil, decodedUserLimit: perShard)
        }
    }

    /// Users seen so far.
    public var userCount: Int { shards.reduce(0) { $0 + $1.userCount } }

    /// Whether some states are held encoded (a shard passed its share of the user limit).
    package var holdsEncodedStates: Bool { shards.contains { $0.isEncoding } }

    /// Bytes of all user states held, as encoded (users still kept as values are counted by the size
    /// they would take encoded; the tables' own overhead is not counted).
    package var storedStateBytes: Int { shards.reduce(0) { $0 + $1.storedStateBytes } }

    public func replay(_ event: RequestContext, attackerFailsChallenges: Bool) throws -> ReplayResult {
        let shard = shards[StableUserHash.shard(of: event.user, count: shards.count)]
        let result = try shard.replay(event, sequence: decidedEvents, attackerFailsChallenges: attackerFailsChallenges)
        try advance(by: 1)
        return result
    }

    public func replay(batch events: [ReplayEvent]) throws -> [ReplayResult] {
        var results = [ReplayResult](repeating: ReplayResult(outcome: .passive, score: 0, rule: ""), count: events.count)
        var start = 0
        while start < events.count {
            // A segment never crosses an epoch's end.
            let end = min(events.count, start + Self.epochSize - decidedEvents % Self.epochSize)
            try decide(events, start..<end, into: &results)
            try advance(by: end - start)
            start = end
        }
        return results
    }

    /// Counts decided events: closes the epoch at its end and writes back when due.
    private func advance(by count: Int) throws {
        decidedEvents += count
        if decidedEvents % Self.epochSize == 0 { closeEpoch() }
        if writesBack {
            sinceFlush += count
            if sinceFlush >= batchSize { try flush() }
        }
    }

    /// Decides `events[range]` (within one epoch), each shard its own users, on up to `threads` threads.
    private func decide(_ events: [ReplayEvent], _ range: Range<Int>, into results: inout [ReplayResult]) throws {
        let first = decidedEvents - range.lowerBound
        if shards.count == 1 {
            let shard = shards[0]
            for i in range {
                let event = events[i]
                do {
                    results[i] = try shard.replay(event.context, sequence: first + i,
                                                  attackerFailsChallenges: event.context.label?.isAttack == true)
                } catch {
                    throw ReplayError.decider(line: event.line, message: String(describing: error))
                }
            }
            return
        }
        if assignment.count < events.count { assignment = [Int](repeating: 0, count: events.count) }
        for i in range { assignment[i] = StableUserHash.shard(of: events[i].context.user, count: shards.count) }
        let failures = FailureSlots(count: shards.count)
        let shards = ShardList(shards: self.shards)
        let assignment = self.assignment
        results.withUnsafeMutableBufferPointer { buffer in
            let output = SharedResults(buffer: buffer)
            // Each shard writes only the slots of its own events.
            DispatchQueue.concurrentPerform(iterations: shards.shards.count) { s in
                let shard = shards.shards[s]
                for i in range where assignment[i] == s {
                    let event = events[i]
                    do {
                        output.buffer[i] = try shard.replay(event.context, sequence: first + i,
                                                            attackerFailsChallenges: event.context.label?.isAttack == true)
                    } catch {
                        failures.set(s, index: i, error: error)
                        return
                    }
                }
            }
        }
        if let (index, error) = failures.first() {
            throw ReplayError.decider(line: events[index].line, message: String(describing: error))
        }
    }

    /// Applies the epoch's accepted logins to the global statistics, in event order.
    private func closeEpoch() {
        if shards.count == 1 {
            for login in shards[0].pending { globalStats.record(login.features, newUser: login.newUser) }
            shards[0].pending.removeAll(keepingCapacity: true)
            return
        }
        var logins: [PendingLogin] = []
        logins.reserveCapacity(shards.reduce(0) { $0 + $1.pending.count })
        for shard in shards {
            logins += shard.pending
            shard.pending.removeAll(keepingCapacity: true)
        }
        logins.sort { $0.sequence < $1.sequence }
        for login in logins { globalStats.record(login.features, newUser: login.newUser) }
    }

    /// Writes pending user states to the backing store (when writing back) in one transaction.
    ///
    /// - Throws: ``StoreError`` when the store fails.
    public func flush() throws {
        sinceFlush = 0
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

/// The shards, handed to the deciding threads: each thread touches only the shard of its index,
/// and the engine touches none until all threads are done.
private struct ShardList: @unchecked Sendable {
    let shards: [ReplayShard]
}

/// The first failure of each shard in a batch.
private final class FailureSlots: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [(index: Int, error: any Error)?]

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func set(_ shard: Int, index: Int, error: any Error) {
        lock.withLock { slots[shard] = (index, error) }
    }

    /// The failure of the earliest event, if any.
    func first() -> (Int, any Error)? {
        lock.withLock { slots.compactMap { $0 }.min { $0.index < $1.index } }
    }
}
