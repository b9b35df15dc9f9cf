import Foundation
import RiskGateEngine
import RiskGatePolicy

/// The whole decision pipeline over one store: the ``DecisionKernel`` step (request → signals →
/// model → score → decision graph → lock guard → state update), then the challenge and the audit
/// record, committed with the new state in one transaction.
///
/// The command line (`decide`, `test`) and the HTTP service use the same engine. It is safe to call
/// from many threads: work on one user is serialised, different users run in parallel, and the
/// active policy can be swapped at any time without failing a request in flight.
public final class DecisionEngine: @unchecked Sendable {
    /// What the engine needs besides the policy.
    public struct Configuration: Sendable {
        /// Geolocation, ASN and anonymous-IP databases (MMDB), if any.
        public var geo: GeoDatabase?
        /// Further IP sets whose members count as `ip.anonymous` (besides the policy's `anonymous: true` lists).
        public var anonymousLists: [IPSet] = []
        /// A request `time` further in the future than this (seconds) is a skewed client clock: the server's time is used.
        public var maxClockSkew: Double = 300
        /// Persist the model's global statistics every this many learned logins (and on ``flush()``).
        public var persistModelEvery: Int = 5_000
        public init(geo: GeoDatabase? = nil) { self.geo = geo }
    }

    /// A decision with what the shadow policy would have done.
    public struct ShadowedDecision: Sendable {
        public var decision: Decision
        /// The shadow policy's decision on the same signals, when one is set; never enforced.
        public var shadow: Decision?
    }

    package static let modelBlobKey = "model.global"

    public let store: any StateStore
    let clock: any Clock
    let random: any RandomSource
    let configuration: Configuration
    let model = LoginModel()
    /// Failures per source network across accounts, for `ip.network_failures` and the network throttle.
    let networkFailures = NetworkFailureTracker()
    let globalStats: GlobalLoginStats
    let locks = UserLocks()
    let active: PolicySlot
    let shadow = PolicySlot(nil)
    private let learnCounter = LearnCounter()

    /// Creates an engine for `policy` over `store`, loading the model's global statistics from the store.
    ///
    /// - Throws: ``StoreError`` when the store cannot be read.
    public init(policy: CompiledPolicy, source: String = "", store: any StateStore, configuration: Configuration = Configuration(),
                clock: any Clock = SystemClock(), random: any RandomSource = SystemRandomSource()) throws {
        self.store = store
        self.clock = clock
        self.random = random
        self.configuration = configuration
        if let blob = try store.loadBlob(DecisionEngine.modelBlobKey),
           let stats = try? GlobalLoginStats(decoding: blob) {
            globalStats = stats
        } else {
            globalStats = GlobalLoginStats()
        }
        active = PolicySlot(nil)
        active.store(snapshot(policy, source: source))
    }

    /// The policy in force.
    public var policy: CompiledPolicy { active.load()!.policy }

    /// The YAML text of the policy in force (empty when it was built without one).
    public var policySource: String { active.load()!.source }

    /// The shadow policy, if any.
    public var shadowPolicy: CompiledPolicy? { shadow.load()?.policy }

    /// Swaps in a new policy atomically; requests in flight finish on the old one.
    public func replacePolicy(_ policy: CompiledPolicy, source: String) {
        active.store(snapshot(policy, source: source))
    }

    /// Sets (or with `nil` removes) the shadow policy, evaluated beside the active one and only logged.
    public func replaceShadow(_ policy: CompiledPolicy?, source: String = "") {
        shadow.store(policy.map { snapshot($0, source: source) })
    }

    private func snapshot(_ policy: CompiledPolicy, source: String) -> PolicySlot.Snapshot {
        var lists = configuration.anonymousLists
        if !policy.anonymousIPs.isEmpty { lists.append(policy.anonymousIPs) }
        let environment = SignalEnvironment(geo: configuration.geo, anonymousLists: lists)
        let computer = SignalComputer(settings: policy.settings, environment: environment)
        return PolicySlot.Snapshot(kernel: DecisionKernel(policy: policy, computer: computer), source: source)
    }

    /// Decides one request, creates its challenge, updates the user's state and appends the audit record.
    ///
    /// - Parameter explain: include every signal used and the deciding rule's sub-conditions.
    /// - Throws: ``StoreError`` when the store fails; nothing is then written.
    public func decide(_ request: RequestContext, explain: Bool = false) throws -> Decision {
        try decideWithShadow(request, explain: explain).decision
    }

    /// Like ``decide(_:explain:)``, suspending (not blocking) while the store commits.
    public func decide(_ request: RequestContext, explain: Bool = false) async throws -> Decision {
        try await decideWithShadow(request, explain: explain).decision
    }

    /// Like ``decide(_:explain:)``, also returning the shadow policy's decision.
    public func decideWithShadow(_ request: RequestContext, explain: Bool = false) throws -> ShadowedDecision {
        var attempt = 1
        while true {
            do {
                let (decision, commit) = try stage(request, explain: explain)
                try commit.wait()
                return decision
            } catch let error as StoreError where error.code == .conflict && attempt < Self.maxConflictAttempts {
                // Another replica changed this user since it was read: wait a little, read again, decide again.
                usleep(conflictBackoffMicroseconds(attempt))
                attempt += 1
            }
        }
    }

    /// Like ``decideWithShadow(_:explain:)``, suspending (not blocking) while the store commits.
    public func decideWithShadow(_ request: RequestContext, explain: Bool = false) async throws -> ShadowedDecision {
        var attempt = 1
        while true {
            do {
                let (decision, commit) = try stage(request, explain: explain)
                try await commit.value()
                return decision
            } catch let error as StoreError where error.code == .conflict && attempt < Self.maxConflictAttempts {
                try await Task.sleep(nanoseconds: UInt64(conflictBackoffMicroseconds(attempt)) * 1_000)
                attempt += 1
            }
        }
    }

    /// How long to wait before try `attempt + 1` after a conflict: doubling from about half a
    /// millisecond, with random jitter, so two replicas that collided on one user do not collide
    /// again at once (the one that lost reads the other's commit instead).
    private func conflictBackoffMicroseconds(_ attempt: Int) -> UInt32 {
        let base = UInt32(400) << UInt32(min(attempt - 1, 6))
        let jitter = UInt32(random.bytes(2).reduce(0) { $0 << 8 | UInt32($1) }) % base
        return base / 2 + jitter
    }

    /// How often a decision, an account change or a passed challenge's login is tried when its
    /// user's row changed between read and commit (another replica on the same database wrote it).
    /// Each try reads the newer state, after a growing random pause; stores without row versions
    /// never conflict on users.
    static let maxConflictAttempts = 24

    /// Runs `body` again (up to ``maxConflictAttempts`` times) while it fails with `.conflict`.
    private func retryingConflicts<T>(_ body: () throws -> T) throws -> T {
        var attempt = 1
        while true {
            do { return try body() } catch let error as StoreError where error.code == .conflict && attempt < Self.maxConflictAttempts {
                usleep(conflictBackoffMicroseconds(attempt))
                attempt += 1
            }
        }
    }

    /// Decides under the user's lock and queues the state change; the answer counts once it is committed.
    private func stage(_ request: RequestContext, explain: Bool) throws -> (ShadowedDecision, PendingCommit) {
        guard let snapshot = active.load() else { preconditionFailure("engine without a policy") }
        let shadowSnapshot = shadow.load()
        return try locks.withLock(request.user) {
            let now = clock.now()
            let time = effectiveTime(request.time, now: now)
            let stored = try store.loadUser(request.user)
            var state = stored ?? UserState()
            let policy = snapshot.policy
            let kernel = snapshot.kernel
            var signals = SignalValues()
            var evaluation = Evaluation()
            let step = kernel.decide(request, state: &state, time: time, global: globalStats, networkFailures: networkFailures,
                                     signals: &signals, evaluation: &evaluation)
            let before = stored ?? UserState()

            var shadowDecision: Decision?
            if let shadowSnapshot {
                let shadowPolicy = shadowSnapshot.policy
                var shadowSignals = signals
                var shadowEvaluation = Evaluation()
                let verdict = DecisionKernel.judge(shadowPolicy, signals: &shadowSignals, evaluation: &shadowEvaluation,
                                                   state: before, computation: step.computation, time: time)
                var shadow = shadowPolicy.decision(
                    id: makeID("dec", at: now), signals: shadowSignals, evaluation: shadowEvaluation, explain: false)
                // Logged as it would have been carried out (lock guard, fallbacks, on_failure), like
                // the enforced decision beside it; its challenges and deliveries are dropped.
                verdict.apply(to: &shadow)
                if DecisionKernel.consequence(of: verdict.outcome, request: request) == .challenge {
                    stepUp(&shadow, request: request, state: before, policy: shadowPolicy, signals: shadowSignals,
                           redactedSignals: [:], now: now) { _ in }
                }
                shadowDecision = shadow
            }

            var decision = policy.decision(id: makeID("dec", at: now), signals: signals, evaluation: evaluation, explain: explain)
            if explain { decision.explanation?.model = step.assessment.top }
            // The audit record and a step-up's hand-off context keep the (redacted) signals whether
            // or not the caller asked for them. Without an explanation the record's JSON is written
            // straight from the slots; the dictionary is built only for a hand-off.
            let explainedSignals = decision.explanation.map { AuditEvent.redactedSignals($0.signals) }
            step.verdict.apply(to: &decision)
            decision.lockedAccount = step.lockedNow

            var change = StateChange()
            step.networkFailure?.record(in: networkFailures)
            if let learned = step.learned { learnGlobally(learned, change: &change) }
            if step.challenge != nil {
                stepUp(&decision, request: request, state: before, policy: policy, signals: signals,
                       redactedSignals: explainedSignals ?? policy.redactedSignalValues(signals), now: now) { made in
                    if var challenge = made.challenge {
                        challenge.pendingLogin = request
                        challenge.familiar = step.computation.familiar
                        change.challenges.append(challenge)
                    }
                    change.outbox += made.outbox
                }
            }

            var event = AuditEvent.decision(decision, user: request.user, time: time, redactedSignals: explainedSignals ?? [:])
            if explainedSignals == nil { event.renderedSignals = policy.redactedSignalsJSON(signals) }
            change.audit.append(event)
            if let shadowDecision {
                var event = AuditEvent.decision(shadowDecision, user: request.user, time: time)
                event.kind = .shadow
                event.method = "shadow"
                event.reference = decision.id
                change.audit.append(event)
            }
            if stored != state { change.users[request.user] = state }
            // Queued inside the lock, so this user's next request already reads the new state.
            let commit = store.beginCommit(change)
            return (ShadowedDecision(decision: decision, shadow: shadowDecision), commit)
        }
    }

    /// Verifies one challenge step; when the challenge is passed, the login that raised it is
    /// recorded as accepted (history, device, typing template, model).
    ///
    /// - Parameter push: for a `push` step, the app's signed answer.
    /// - Throws: ``ChallengeError`` for an unknown challenge or step, ``StoreError`` when the store fails.
    public func verify(challengeID: String, step: String, response: String, push: PushAnswer? = nil) throws -> VerificationResult {
        guard let snapshot = active.load() else { preconditionFailure("engine without a policy") }
        let service = ChallengeService(store: store, clock: clock, random: random, settings: snapshot.policy.settings)
        guard let owner = try store.loadChallenge(challengeID)?.user else {
            // Let the service answer with its own error for an unknown or malformed id.
            return try service.verify(challengeID: challengeID, step: step, response: response, push: push)
        }
        return try locks.withLock(owner) {
            let result = try service.verify(challengeID: challengeID, step: step, response: response, push: push)
            guard result.complete, result.result == .passed,
                  let challenge = try store.loadChallenge(challengeID), let pending = challenge.pendingLogin
            else { return result }
            try retryingConflicts {
                guard var state = try store.loadUser(challenge.user) else { return }
                let time = effectiveTime(pending.time, now: clock.now())
                let location = snapshot.computer.resolveLocation(pending)
                let features = LoginFeatures(context: pending, ip: location.ip, asn: location.asn, country: location.country)
                let kernel = snapshot.kernel
                var change = StateChange()
                let learned = kernel.learn(pending, location: location, typing: nil, features: features, time: time, state: &state)
                learnGlobally(learned, change: &change)
                change.users[challenge.user] = state
                try store.commit(change)
            }
            return result
        }
    }

    /// Creates or updates an account's profile (KBA answers and secrets are hashed on arrival).
    ///
    /// - Throws: ``AccountError`` naming a bad field, ``StoreError`` when the store fails.
    @discardableResult
    public func updateAccount(user: String, _ update: AccountUpdate) throws -> UserState {
        try locks.withLock(user) {
            try retryingConflicts { try AccountAdmin(store: store, clock: clock, random: random).update(user: user, update) }
        }
    }

    /// Clears an account's lockout (and with `unban`, its ban).
    ///
    /// - Throws: ``StoreError`` when the store fails.
    @discardableResult
    public func clearAccount(user: String, unban: Bool) throws -> UserState {
        try locks.withLock(user) {
            try retryingConflicts { try AccountAdmin(store: store, clock: clock, random: random).clear(user: user, unban: unban) }
        }
    }

    /// Records an analyst's or service's label for an earlier decision in the audit log, under the
    /// decision's user.
    ///
    /// - Throws: ``FeedbackError`` when no decision has this id (nothing is written), ``StoreError``
    ///   when the store fails.
    public func feedback(decisionID: String, label: String) throws {
        guard let user = try store.decisionUser(decisionID) else {
            throw FeedbackError(field: "decision", message: "no decision `\(decisionID.prefix(80))`")
        }
        let event = AuditEvent(time: clock.now(), kind: .feedback, user: user, method: "feedback",
                               result: label, reference: decisionID)
        try store.commit(StateChange(audit: [event]))
    }

    /// Writes the model's global statistics to the store.
    ///
    /// - Throws: ``StoreError`` when the store fails.
    public func flush() throws {
        try store.commit(StateChange(blobs: [DecisionEngine.modelBlobKey: globalStats.encoded()]))
    }

    // MARK: - Shared steps

    /// Adds a login the kernel let in to the model's global statistics, and every
    /// ``Configuration/persistModelEvery`` of them, the statistics to the change.
    func learnGlobally(_ learned: LearnedLogin, change: inout StateChange) {
        globalStats.record(learned.features, newUser: learned.newUser)
        if learnCounter.increment() % max(1, configuration.persistModelEvery) == 0 {
            change.blobs[DecisionEngine.modelBlobKey] = globalStats.encoded()
        }
    }

    /// Carries out a step-up decision's challenge for this user: a fallback or a step that cannot
    /// be used moves `decision` to its `on_failure` outcome, which gets its own challenge in turn
    /// (on_failure chains are acyclic, checked by the compiler; the bound is a second guard).
    ///
    /// Updates `decision`'s `outcome`, `challenge` and `escalated`, and hands each challenge made,
    /// in order, to `made`, which stores its record and deliveries (or, for a shadow, drops them).
    private func stepUp(_ decision: inout Decision, request: RequestContext, state: UserState, policy: CompiledPolicy,
                        signals: SignalValues, redactedSignals: [String: JSONValue], now: Date,
                        made: (NewChallenge) -> Void) {
        let service = ChallengeService(store: store, clock: FixedClock(now), random: random, settings: policy.settings)
        for _ in 0..<Outcome.allCases.count {
            guard let next = service.makeChallenge(for: decision, request: request, user: state, policy: policy.challenges,
                                                   redactedSignals: redactedSignals,
                                                   fallbackApplies: { policy.fallbackApplies($0, signals: signals) })
            else { break }
            made(next)
            let escalated = next.outcome != decision.outcome
            if escalated, decision.escalated == nil, let reason = next.failoverReason {
                // The first reason: why the deciding rule's own outcome could not be used.
                decision.escalated = Decision.Escalation(from: decision.outcome, reason: reason)
            }
            decision.outcome = next.outcome
            decision.challenge = next.summary
            guard escalated, next.challenge == nil,
                  next.outcome == .otp || next.outcome == .otpKbaDelay else { break }
        }
    }

    /// The request's time, or now when absent or implausibly far in the future (a skewed client clock).
    func effectiveTime(_ requested: Date?, now: Date) -> Date {
        guard let requested else { return now }
        return requested.timeIntervalSince(now) > configuration.maxClockSkew ? now : requested
    }

    /// A decision id: the decision time in milliseconds (11 hex digits) then 8 random bytes.
    /// Time first, so the audit log's index of decision ids (migration 3) grows at its end like
    /// the log itself instead of touching a random page per decision; the random part keeps ids
    /// unguessable.
    func makeID(_ prefix: String, at time: Date) -> String {
        let milliseconds = UInt64(max(0, min(time.timeIntervalSince1970 * 1000, 0xFFFF_FFFF_FFF)))
        let hex = String(milliseconds, radix: 16)
        return "\(prefix)-\(String(repeating: "0", count: max(0, 11 - hex.count)))\(hex)\(random.bytes(8).hexString)"
    }
}

/// A clock stopped at one instant: a decision's challenge timers all start at the moment it was
/// decided, by the engine's clock (never the request's `time`, which the client sets: a past one
/// would expire the code at once, a future one keep it valid for years).
struct FixedClock: Clock {
    let instant: Date
    init(_ instant: Date) { self.instant = instant }
    func now() -> Date { instant }
}

/// A thread-safe counter of learned logins.
final class LearnCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func increment() -> Int { lock.withLock { value += 1; return value } }
}
