import Foundation

/// One shard of a replay (see ``ReplayEngine``): the states of the users hashed to it and the
/// pipeline that decides their events.
///
/// A shard only reads the shared global statistics; the logins it would add to them are kept in
/// ``pending`` and applied by the engine at the end of the epoch. Everything else it touches is
/// its own, so shards of one engine can decide on different threads at once.
final class ReplayShard {
    let policy: CompiledPolicy
    let computer: SignalComputer
    let model = LoginModel()
    /// Shared by every shard of the engine; read-only while shards decide.
    let globalStats: GlobalLoginStats
    let backing: (any StateStore)?
    /// Whether to remember the users whose state changed, for write-back.
    let tracksDirty: Bool
    /// Most users kept as values; past it, all this shard's states are held encoded.
    let decodedUserLimit: Int
    /// Every user's state as a value, while there are at most `decodedUserLimit` users.
    private var decoded: [String: UserState] = [:]
    /// Every user's state, encoded, once the limit was passed (`decoded` is then empty for good):
    /// exactly sized byte arrays keep 1M users within a few hundred MB.
    private var encoded: [String: ContiguousArray<UInt8>] = [:]
    private(set) var isEncoding = false
    private var dirty: Set<String> = []
    private var evaluation = Evaluation()
    private var signals = SignalValues()
    /// The user-agent parse cache: per shard, so no lock; it returns equal values whichever shard asks.
    private let agents = UserAgentChainCache()
    /// Logins accepted since the epoch began, in this shard's (event) order, for the global statistics.
    var pending: [PendingLogin] = []

    init(policy: CompiledPolicy, computer: SignalComputer, globalStats: GlobalLoginStats,
         backing: (any StateStore)?, tracksDirty: Bool, decodedUserLimit: Int) {
        self.policy = policy
        self.computer = computer
        self.globalStats = globalStats
        self.backing = backing
        self.tracksDirty = tracksDirty
        self.decodedUserLimit = max(0, decodedUserLimit)
    }

    var userCount: Int { decoded.count + encoded.count }

    var storedStateBytes: Int {
        encoded.values.reduce(0) { $0 + $1.count }
            + decoded.values.reduce(0) { total, state in total + UserStateCodec.withEncoded(state) { $0.count } }
    }

    /// Decides `event`, the `sequence`-th event of the replay, and updates its user's state.
    ///
    /// - Throws: ``StoreError`` when the backing store cannot be read (nothing is changed then).
    func replay(_ event: RequestContext, sequence: Int, attackerFailsChallenges: Bool) throws -> ReplayResult {
        let result: ReplayResult
        if isEncoding || (decoded.count >= decodedUserLimit && decoded.index(forKey: event.user) == nil) {
            result = try replayEncoded(event, sequence: sequence, attackerFailsChallenges: attackerFailsChallenges)
        } else {
            result = try replayDecoded(event, sequence: sequence, attackerFailsChallenges: attackerFailsChallenges)
        }
        if tracksDirty { dirty.insert(event.user) }
        return result
    }

    private func replayDecoded(_ event: RequestContext, sequence: Int, attackerFailsChallenges: Bool) throws -> ReplayResult {
        // The state is updated in place in the dictionary: copying it out and back would copy
        // every array the event changes (logins, devices, typing) on each event.
        var index = decoded.index(forKey: event.user)
        if index == nil {
            decoded[event.user] = try backing?.loadUser(event.user) ?? UserState()
            index = decoded.index(forKey: event.user)
        }
        guard let index else {
            return decide(event, sequence: sequence, attackerFailsChallenges: attackerFailsChallenges,
                          state: &decoded[event.user, default: UserState()])
        }
        return decide(event, sequence: sequence, attackerFailsChallenges: attackerFailsChallenges,
                      state: &decoded.values[index])
    }

    private func replayEncoded(_ event: RequestContext, sequence: Int, attackerFailsChallenges: Bool) throws -> ReplayResult {
        if !isEncoding { encodeAll() }
        let index = encoded.index(forKey: event.user)
        var state: UserState
        if let index {
            state = try encoded.values[index].withUnsafeBytes { raw in try UserStateCodec.decode(raw) }
        } else {
            state = try backing?.loadUser(event.user) ?? UserState()
        }
        let result = decide(event, sequence: sequence, attackerFailsChallenges: attackerFailsChallenges, state: &state)
        // Exactly sized, so a million users hold no slack.
        let stored = UserStateCodec.withEncoded(state) { ContiguousArray($0) }
        if let index {
            encoded.values[index] = stored
        } else {
            encoded[event.user] = stored
        }
        return result
    }

    /// Moves every state held as a value into the encoded table, once per run.
    private func encodeAll() {
        encoded.reserveCapacity(decoded.count)
        for (user, state) in decoded {
            encoded[user] = UserStateCodec.withEncoded(state) { ContiguousArray($0) }
        }
        decoded = [:]
        isEncoding = true
    }

    private func decide(_ request: RequestContext, sequence: Int, attackerFailsChallenges: Bool,
                        state: inout UserState) -> ReplayResult {
        var event = request
        // Login records keep the user agent: one shared copy per distinct header, not one per event.
        if let agent = event.device?.userAgent { event.device?.userAgent = agents.intern(agent) }
        let time = event.time ?? Date(timeIntervalSince1970: 0)
        signals.reset()
        // A user never seen has an empty state, which the computer reads as no history.
        let computation = computer.compute(event, userState: state, now: time, into: &signals)
        let location = computation.location
        let features = LoginFeatures(ip: location.ip, asn: location.asn, country: location.country,
                                     userAgent: event.device?.userAgent, cache: agents)
        let assessment = model.assess(features, user: state.model, global: globalStats)
        PipelineSteps.setModelSignals(assessment, into: &signals)
        policy.evaluate(&signals, into: &evaluation)

        var outcome = evaluation.outcome
        var rule = policy.ruleID(at: evaluation.ruleIndex)
        if let lockRule = PipelineSteps.lockRule(state, now: time), outcome != .deny {
            outcome = .deny
            rule = lockRule
        }

        var accepted = false
        if event.result == "failure" {
            _ = Lockout.recordFailure(&state, settings: policy.settings, now: time)
        } else {
            switch outcome {
            case .deny:
                break
            case .passive:
                accepted = true
            case .otp, .otpKbaDelay, .agentEscalation:
                if attackerFailsChallenges {
                    _ = Lockout.recordFailure(&state, settings: policy.settings, now: time)
                } else {
                    accepted = true
                }
            }
        }
        if accepted {
            let isNewUser = PipelineSteps.recordAcceptedForUser(event, location: location, features: features,
                                                                settings: policy.settings, time: time, model: model,
                                                                state: &state)
            pending.append(PendingLogin(sequence: sequence, features: features, newUser: isNewUser))
        }
        return ReplayResult(outcome: outcome, score: evaluation.score, rule: rule)
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
            if let state = decoded[user] {
                change.users[user] = state
            } else if let bytes = encoded[user] {
                change.users[user] = try bytes.withUnsafeBytes { raw in try UserStateCodec.decode(raw) }
            }
        }
        dirty.removeAll(keepingCapacity: true)
    }
}

/// A login a shard accepted during the current epoch, waiting to join the global statistics.
struct PendingLogin {
    /// The event's position in the replay (0-based, over all shards), which orders the records.
    var sequence: Int
    var features: LoginFeatures
    /// Whether it was the user's first learned login.
    var newUser: Bool
}
