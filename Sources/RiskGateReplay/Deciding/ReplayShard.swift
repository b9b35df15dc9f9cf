import Foundation
import RiskGate
import RiskGateEngine
import RiskGatePolicy

/// One shard of a replay (see ``ReplayEngine``): the states of the users hashed to it and the
/// pipeline that decides their events.
///
/// A shard only reads the shared global statistics; the logins it would add to them are kept in
/// ``pending`` and applied by the engine at the end of the epoch. Everything else it touches is
/// its own, so shards of one engine can decide on different threads at once.
final class ReplayShard {
    /// Password failures per source network among this shard's users (`ip.network_failures`): with
    /// one thread that is every user, as in the service; with several, each thread counts its own
    /// users' failures, which keeps the result the same for any number of threads of 2 or more.
    private let networkFailures = NetworkFailureTracker()
    let policy: CompiledPolicy
    /// The decision step the service takes too; the shard adds the label's side of each challenge.
    let kernel: DecisionKernel
    /// Shared by every shard of the engine; read-only while shards decide.
    let globalStats: GlobalLoginStats
    let backing: (any StateStore)?
    /// Whether to remember the users whose state changed, for write-back.
    let tracksDirty: Bool
    /// Most users held as values: the first users seen, up to this many (see ``decodedCapacity``).
    let decodedUserLimit: Int
    /// States held as values, updated in place (at most ``decodedCapacity``).
    private var decoded: [String: DecodedState] = [:]
    /// Every other user's state, encoded: exactly sized byte arrays keep 1M users within a few hundred MB.
    private var encoded: [String: ContiguousArray<UInt8>] = [:]
    /// Events decided so far: the clock of ``DecodedState/lastUsed``.
    private var clock = 0
    /// Users held as values, least recently active first, as of ``evictionSnapshot``.
    private var evictionOrder: [String] = []
    /// The next user of ``evictionOrder`` to consider.
    private var evictionNext = 0
    /// The clock when ``evictionOrder`` was taken.
    private var evictionSnapshot = 0
    private var dirty: Set<String> = []
    private var evaluation = Evaluation()
    private var signals = SignalValues()
    /// The user-agent parse cache: per shard, so no lock; it returns equal values whichever shard asks.
    private let agents = UserAgentChainCache()
    /// The buffer states are encoded in before their exactly sized copy is kept.
    private let scratch = EncodingScratch()
    /// Logins accepted since the epoch began, in this shard's (event) order, for the global statistics.
    var pending: [PendingLogin] = []

    init(policy: CompiledPolicy, computer: SignalComputer, globalStats: GlobalLoginStats,
         backing: (any StateStore)?, tracksDirty: Bool, decodedUserLimit: Int) {
        self.policy = policy
        kernel = DecisionKernel(policy: policy, computer: computer)
        self.globalStats = globalStats
        self.backing = backing
        self.tracksDirty = tracksDirty
        self.decodedUserLimit = max(0, decodedUserLimit)
    }

    var userCount: Int { decoded.count + encoded.count }

    /// The states held encoded (for benchmarks of the codec on real states).
    var encodedStates: Dictionary<String, ContiguousArray<UInt8>>.Values { encoded.values }

    /// Whether some states are held encoded.
    var holdsEncoded: Bool { !encoded.isEmpty }

    /// Users whose state is held as a value.
    var valueUsers: Set<String> { Set(decoded.keys) }

    /// A state as a value takes about this many times the bytes of the same state encoded.
    static let decodedToEncodedSize = 5

    /// How many users may be held as values now: ``decodedUserLimit``, less one for every
    /// ``decodedToEncodedSize`` encoded users, so values and encoded states together stay within
    /// about the memory the limit's values alone would take, until every state is encoded (0).
    var decodedCapacity: Int { max(0, decodedUserLimit - encoded.count / Self.decodedToEncodedSize) }

    var storedStateBytes: Int {
        encoded.values.reduce(0) { $0 + $1.count }
            + decoded.values.reduce(0) { total, entry in total + UserStateCodec.withEncoded(entry.state) { $0.count } }
    }

    /// Decides `event`, the `sequence`-th event of the replay, and updates its user's state.
    ///
    /// The first ``decodedUserLimit`` users are held as values and decided in place. Every later
    /// user is held encoded: decoded for its event and encoded again after it. As encoded users
    /// grow, ``decodedCapacity`` shrinks and the least recently active values are encoded too.
    ///
    /// The event is read in place through `event` (which must stay valid during the call):
    /// passing the event itself made the caller copy it, retaining each of its strings.
    ///
    /// - Throws: ``StoreError`` when the backing store cannot be read (nothing is changed then).
    func replay(_ event: UnsafePointer<ReplayEvent>, sequence: Int, attackerFailsChallenges: Bool) throws -> ReplayResult {
        clock += 1
        let result: ReplayResult
        let user = event.pointee.context.user
        if let index = decoded.index(forKey: user) {
            decoded.values[index].lastUsed = clock
            result = decide(event, sequence: sequence, attackerFailsChallenges: attackerFailsChallenges,
                            state: &decoded.values[index].state)
        } else if encoded.isEmpty && decoded.count < decodedUserLimit {
            result = try replayNew(event, sequence: sequence, attackerFailsChallenges: attackerFailsChallenges)
        } else {
            result = try replayEncoded(event, sequence: sequence, attackerFailsChallenges: attackerFailsChallenges)
            while decoded.count > decodedCapacity { encodeLeastRecentlyUsed() }
        }
        if tracksDirty { dirty.insert(user) }
        return result
    }

    /// Decides the event of a user first seen while there is room for values.
    private func replayNew(_ event: UnsafePointer<ReplayEvent>, sequence: Int, attackerFailsChallenges: Bool) throws -> ReplayResult {
        let user = event.pointee.context.user
        decoded[user] = DecodedState(state: try backing?.loadUser(user) ?? UserState(), lastUsed: clock)
        // The state is updated in place in the dictionary: copying it out and back would copy
        // every array the event changes (logins, devices, typing) on each event.
        let index = decoded.index(forKey: user)!
        return decide(event, sequence: sequence, attackerFailsChallenges: attackerFailsChallenges,
                      state: &decoded.values[index].state)
    }

    /// Decides the event of a user held encoded (or first seen when values are full).
    private func replayEncoded(_ event: UnsafePointer<ReplayEvent>, sequence: Int, attackerFailsChallenges: Bool) throws -> ReplayResult {
        let user = event.pointee.context.user
        let index = encoded.index(forKey: user)
        var state: UserState
        if let index {
            state = try encoded.values[index].withUnsafeBytes { raw in try UserStateCodec.decode(raw) }
        } else {
            state = try backing?.loadUser(user) ?? UserState()
        }
        let result = decide(event, sequence: sequence, attackerFailsChallenges: attackerFailsChallenges, state: &state)
        // Exactly sized, so a million users hold no slack.
        let stored = UserStateCodec.withEncoded(state, scratch: scratch) { ContiguousArray($0) }
        if let index {
            encoded.values[index] = stored
        } else {
            encoded[user] = stored
        }
        return result
    }

    /// Encodes the least recently active state held as a value.
    ///
    /// Users are taken from ``evictionOrder``, a snapshot of the values sorted by last use; one used
    /// since the snapshot is skipped (it comes back in the next snapshot, taken when this one is
    /// used up), so one sort serves as many evictions as there were values.
    private func encodeLeastRecentlyUsed() {
        while !decoded.isEmpty {
            if evictionNext == evictionOrder.count {
                evictionOrder = decoded.map { (lastUsed: $0.value.lastUsed, user: $0.key) }
                    .sorted { $0.lastUsed < $1.lastUsed }.map(\.user)
                evictionNext = 0
                evictionSnapshot = clock
            }
            let user = evictionOrder[evictionNext]
            evictionNext += 1
            guard let index = decoded.index(forKey: user), decoded.values[index].lastUsed <= evictionSnapshot else { continue }
            let state = decoded.remove(at: index).value.state
            encoded[user] = UserStateCodec.withEncoded(state, scratch: scratch) { ContiguousArray($0) }
            if decoded.isEmpty && decodedCapacity == 0 {
                // No values any more, for good (encoded users only grow): free the tables' storage.
                decoded = [:]
                evictionOrder = []
                evictionNext = 0
            }
            return
        }
    }

    private func decide(_ request: UnsafePointer<ReplayEvent>, sequence: Int, attackerFailsChallenges: Bool,
                        state: inout UserState) -> ReplayResult {
        // The scratch values passed inout: one exclusivity check each per event, not one per use.
        decide(request, sequence: sequence, attackerFailsChallenges: attackerFailsChallenges, state: &state,
               signals: &signals, evaluation: &evaluation)
    }

    private func decide(_ request: UnsafePointer<ReplayEvent>, sequence: Int, attackerFailsChallenges: Bool,
                        state: inout UserState, signals: inout SignalValues, evaluation: inout Evaluation) -> ReplayResult {
        // The one copy of the request: its user agent is replaced by the shared copy.
        var event = request.pointee.context
        // Login records keep the user agent: one shared copy per distinct header, not one per event.
        if let agent = event.device?.userAgent { event.device?.userAgent = agents.intern(agent) }
        let time = event.time ?? Date(timeIntervalSince1970: 0)
        let step = kernel.decide(event, state: &state, time: time, global: globalStats, networkFailures: networkFailures,
                                 agents: agents, signals: &signals, evaluation: &evaluation)
        step.networkFailure?.record(in: networkFailures)
        var learned = step.learned
        if step.challenge != nil {
            // The label's side of the challenge: attackers fail it, everyone else passes.
            if attackerFailsChallenges {
                kernel.failChallenge(step: step, time: time, state: &state)
            } else {
                learned = kernel.passChallenge(event, step: step, time: time, state: &state)
            }
        }
        if let learned {
            pending.append(PendingLogin(sequence: sequence, features: learned.features, newUser: learned.newUser))
        }
        var result = ReplayResult(outcome: step.verdict.outcome, score: evaluation.score, rule: step.verdict.rule)
        ReplayShard.explain(&result, label: event.label, policy: policy, evaluation: evaluation, signals: signals)
        return result
    }

    /// What the analyst's report needs beyond the outcome: the score rules that gave points, whether
    /// a stopped attack was a unique catch, and the signals on for a takeover let through.
    static func explain(_ result: inout ReplayResult, label: RequestContext.Label?, policy: CompiledPolicy,
                        evaluation: Evaluation, signals: SignalValues) {
        for (i, points) in evaluation.points.enumerated() where points != 0 {
            result.scoreRulesFired.append(Int32(i))
            result.scorePoints.append(points)
        }
        guard let label, label.isAttack else { return }
        if result.outcome != .passive {
            // Decided by the lock guard: the policy's own rules are all "other" rules.
            let decidedByPolicy = policy.ruleID(at: evaluation.ruleIndex) == result.rule
            result.uniqueCatch = !policy.anotherNonPassiveRuleMatches(except: decidedByPolicy ? evaluation.ruleIndex : -1,
                                                                      signals: signals)
        } else if label.accountTakeover == true {
            result.signalsOn = Signal.allCases.filter { signals[$0] == .bool(true) }.map(\.name)
        }
    }

    /// Adds every pending login to `stats` in order, and forgets them.
    func recordPending(into stats: GlobalLoginStats) {
        for k in pending.indices { recordPending(k, into: stats) }
        pending.removeAll(keepingCapacity: true)
    }

    /// Adds pending login `k` to `stats`.
    func recordPending(_ k: Int, into stats: GlobalLoginStats) {
        stats.record(pending[k].features, newUser: pending[k].newUser)
    }

    /// Adds the states of the users changed since the last call to `change`, and forgets them.
    ///
    /// - Throws: ``UserStateCodec`` errors when an encoded state cannot be read back (a bug).
    func takeDirty(into change: inout StateChange) throws {
        for user in dirty {
            if let entry = decoded[user] {
                change.users[user] = entry.state
            } else if let bytes = encoded[user] {
                change.users[user] = try bytes.withUnsafeBytes { raw in try UserStateCodec.decode(raw) }
            }
        }
        dirty.removeAll(keepingCapacity: true)
    }
}

/// A user's state held as a value, and when it was last used.
private struct DecodedState {
    var state: UserState
    /// The shard's clock at the user's latest event.
    var lastUsed: Int
}

/// A login a shard accepted during the current epoch, waiting to join the global statistics.
struct PendingLogin {
    /// The event's position in the replay (0-based, over all shards), which orders the records.
    var sequence: Int
    var features: LoginFeatures
    /// Whether it was the user's first learned login.
    var newUser: Bool
}
