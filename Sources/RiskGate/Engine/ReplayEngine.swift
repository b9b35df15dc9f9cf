import Foundation

/// The decision pipeline for replay (SPEC §7): the same signals, model, score and decision graph
/// as ``DecisionEngine``, with the user's side of each challenge played from the event's label.
///
/// Labelled attackers fail every challenge (one failure toward lockout per failed challenge) and
/// a `passive` outcome lets them in, into the user's history; everyone else passes. No codes are
/// generated and no audit is written: a replay is a simulation.
///
/// User states live in memory. Up to `decodedUserLimit` users they are kept as values and updated
/// in place (fastest); when one more user arrives, every state is encoded once with
/// ``UserStateCodec`` (a kilobyte or so a user instead of several as values) and, for the rest of
/// the run, each is decoded for its event and encoded again after it. Results are the same either way.
/// With a backing store (`riskgate replay --state DB`), users are
/// read from it on first sight and, when `writesBack` is set, the evolved states and model
/// statistics are written to it in batches of `batchSize` events and at ``finish()``.
public final class ReplayEngine: ReplayDecider {
    public let policy: CompiledPolicy
    let computer: SignalComputer
    let model = LoginModel()
    let globalStats: GlobalLoginStats
    let backing: (any StateStore)?
    let writesBack: Bool
    let batchSize: Int
    /// Most users kept as values; past it, all states are held encoded.
    package let decodedUserLimit: Int
    /// Every user's state as a value, while there are at most `decodedUserLimit` users.
    private var decoded: [String: UserState] = [:]
    /// Every user's state, encoded, once the limit was passed (`decoded` is then empty for good):
    /// exactly sized byte arrays keep 1M users within a few hundred MB.
    private var encoded: [String: ContiguousArray<UInt8>] = [:]
    private var isEncoding = false
    private var dirty: Set<String> = []
    private var sinceFlush = 0
    private var evaluation = Evaluation()
    private var signals = SignalValues()
    private let agents = UserAgentChainCache()

    /// Creates a replay engine.
    ///
    /// - Parameter decodedUserLimit: users kept as values before all states switch to encoded;
    ///   the default (100,000 users, ~0.7 GB) keeps any run well under 2 GiB.
    /// - Throws: ``StoreError`` when the backing store cannot be read.
    public init(policy: CompiledPolicy, geo: GeoDatabase? = nil, anonymousLists: [IPSet] = [],
                backing: (any StateStore)? = nil, writesBack: Bool = false, batchSize: Int = 20_000,
                decodedUserLimit: Int = 100_000) throws {
        self.policy = policy
        self.decodedUserLimit = max(0, decodedUserLimit)
        var lists = anonymousLists
        if !policy.anonymousIPs.isEmpty { lists.append(policy.anonymousIPs) }
        computer = SignalComputer(settings: policy.settings, environment: SignalEnvironment(geo: geo, anonymousLists: lists))
        self.backing = backing
        self.writesBack = writesBack
        self.batchSize = max(1, batchSize)
        if let blob = try backing?.loadBlob(DecisionEngine.modelBlobKey), let stats = try? GlobalLoginStats(decoding: blob) {
            globalStats = stats
        } else {
            globalStats = GlobalLoginStats()
        }
    }

    /// Users seen so far.
    public var userCount: Int { decoded.count + encoded.count }

    /// Whether the states are held encoded (the user limit was passed).
    package var holdsEncodedStates: Bool { isEncoding }

    /// Bytes of all user states held, as encoded (users still kept as values are counted by the size
    /// they would take encoded; the table's own overhead is not counted).
    package var storedStateBytes: Int {
        encoded.values.reduce(0) { $0 + $1.count }
            + decoded.values.reduce(0) { total, state in total + UserStateCodec.withEncoded(state) { $0.count } }
    }

    public func replay(_ event: RequestContext, attackerFailsChallenges: Bool) throws -> ReplayResult {
        let result: ReplayResult
        if isEncoding || (decoded.count >= decodedUserLimit && decoded.index(forKey: event.user) == nil) {
            result = try replayEncoded(event, attackerFailsChallenges: attackerFailsChallenges)
        } else {
            result = try replayDecoded(event, attackerFailsChallenges: attackerFailsChallenges)
        }
        if writesBack {
            dirty.insert(event.user)
            sinceFlush += 1
            if sinceFlush >= batchSize { try flush() }
        }
        return result
    }

    private func replayDecoded(_ event: RequestContext, attackerFailsChallenges: Bool) throws -> ReplayResult {
        // The state is updated in place in the dictionary: copying it out and back would copy
        // every array the event changes (logins, devices, typing) on each event.
        var index = decoded.index(forKey: event.user)
        if index == nil {
            decoded[event.user] = try backing?.loadUser(event.user) ?? UserState()
            index = decoded.index(forKey: event.user)
        }
        guard let index else {
            return decide(event, attackerFailsChallenges: attackerFailsChallenges, state: &decoded[event.user, default: UserState()])
        }
        return decide(event, attackerFailsChallenges: attackerFailsChallenges, state: &decoded.values[index])
    }

    private func replayEncoded(_ event: RequestContext, attackerFailsChallenges: Bool) throws -> ReplayResult {
        if !isEncoding { encodeAll() }
        let index = encoded.index(forKey: event.user)
        var state: UserState
        if let index {
            state = try encoded.values[index].withUnsafeBytes { raw in try UserStateCodec.decode(raw) }
        } else {
            state = try backing?.loadUser(event.user) ?? UserState()
        }
        let result = decide(event, attackerFailsChallenges: attackerFailsChallenges, state: &state)
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

    private func decide(_ request: RequestContext, attackerFailsChallenges: Bool, state: inout UserState) -> ReplayResult {
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

        if event.result == "failure" {
            _ = Lockout.recordFailure(&state, settings: policy.settings, now: time)
        } else {
            switch outcome {
            case .deny:
                break
            case .passive:
                accept(event, location: location, features: features, time: time, state: &state)
            case .otp, .otpKbaDelay, .agentEscalation:
                if attackerFailsChallenges {
                    _ = Lockout.recordFailure(&state, settings: policy.settings, now: time)
                } else {
                    accept(event, location: location, features: features, time: time, state: &state)
                }
            }
        }
        return ReplayResult(outcome: outcome, score: evaluation.score, rule: rule)
    }

    private func accept(_ event: RequestContext, location: ResolvedLocation, features: LoginFeatures, time: Date,
                        state: inout UserState) {
        PipelineSteps.recordAccepted(event, location: location, features: features, settings: policy.settings, time: time,
                                     model: model, global: globalStats, state: &state)
    }

    /// Writes pending user states to the backing store (when writing back) in one transaction.
    ///
    /// - Throws: ``StoreError`` when the store fails.
    public func flush() throws {
        guard writesBack, let backing else { return }
        var change = StateChange()
        for user in dirty {
            if let state = decoded[user] {
                change.users[user] = state
            } else if let bytes = encoded[user] {
                change.users[user] = try bytes.withUnsafeBytes { raw in try UserStateCodec.decode(raw) }
            }
        }
        dirty.removeAll(keepingCapacity: true)
        sinceFlush = 0
        try backing.commit(change)
    }

    /// Flushes everything, including the model's global statistics.
    ///
    /// - Throws: ``StoreError`` when the store fails.
    public func finish() throws {
        try flush()
        guard writesBack, let backing else { return }
        try backing.commit(StateChange(blobs: [DecisionEngine.modelBlobKey: globalStats.encoded()]))
    }
}
