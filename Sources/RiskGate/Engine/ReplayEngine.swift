import Foundation

/// The decision pipeline for replay (SPEC §7): the same signals, model, score and decision graph
/// as ``DecisionEngine``, with the user's side of each challenge played from the event's label.
///
/// Labelled attackers fail every challenge (one failure toward lockout per failed challenge) and
/// a `passive` outcome lets them in, into the user's history; everyone else passes. No codes are
/// generated and no audit is written: a replay is a simulation.
///
/// User states live in memory, each encoded with ``UserStateCodec`` (a few hundred bytes a user
/// instead of several kilobytes as values), decoded for its event and encoded again after it.
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
    /// Every user's state, encoded: exactly sized byte arrays keep 1M users within a few hundred MB.
    private var users: [String: ContiguousArray<UInt8>] = [:]
    private var dirty: Set<String> = []
    private var sinceFlush = 0
    private var evaluation = Evaluation()
    private var signals = SignalValues()
    private let agents = UserAgentChainCache()

    /// Creates a replay engine.
    ///
    /// - Throws: ``StoreError`` when the backing store cannot be read.
    public init(policy: CompiledPolicy, geo: GeoDatabase? = nil, anonymousLists: [IPSet] = [],
                backing: (any StateStore)? = nil, writesBack: Bool = false, batchSize: Int = 20_000) throws {
        self.policy = policy
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
    public var userCount: Int { users.count }

    /// Bytes of all encoded user states held (not counting the table's own overhead).
    package var storedStateBytes: Int { users.values.reduce(0) { $0 + $1.count } }

    public func replay(_ event: RequestContext, attackerFailsChallenges: Bool) throws -> ReplayResult {
        let index = users.index(forKey: event.user)
        var state: UserState
        if let index {
            state = try users.values[index].withUnsafeBytes { raw in try UserStateCodec.decode(raw) }
        } else {
            state = try backing?.loadUser(event.user) ?? UserState()
        }
        let result = decide(event, attackerFailsChallenges: attackerFailsChallenges, state: &state)
        // Exactly sized, so a million users hold no slack.
        let stored = UserStateCodec.withEncoded(state) { ContiguousArray($0) }
        if let index {
            users.values[index] = stored
        } else {
            users[event.user] = stored
        }
        if writesBack {
            dirty.insert(event.user)
            sinceFlush += 1
            if sinceFlush >= batchSize { try flush() }
        }
        return result
    }

    private func decide(_ request: RequestContext, attackerFailsChallenges: Bool, state: inout UserState) -> ReplayResult {
        var event = request
        // Login records keep the user agent: one shared copy per distinct header, not one per event.
        if let agent = event.device?.userAgent { event.device?.userAgent = agents.intern(agent) }
        let time = event.time ?? Date(timeIntervalSince1970: 0)
        signals.reset()
        // A user never seen has an empty state, which the computer reads as no history.
        let computation = computer.compute(event, state: state, now: time, into: &signals)
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
            guard let bytes = users[user] else { continue }
            change.users[user] = try bytes.withUnsafeBytes { raw in try UserStateCodec.decode(raw) }
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
