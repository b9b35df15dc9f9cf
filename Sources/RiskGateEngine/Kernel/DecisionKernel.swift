import Foundation
import RiskGatePolicy

/// The one decision step every path takes — the service (`DecisionEngine` in the store module,
/// and through it `decide`, `test` and the HTTP API) and replay (`ReplayEngine` in RiskGateReplay):
/// request signals, the login model, the policy's score and decision graph, the lock guard, then
/// what the outcome does to the user's state.
///
/// It is a value-in, value-out step: it takes the request, the user's state, the policy (with its
/// signal computer), the model's global statistics and the request's time, and gives back the
/// decision (``KernelStep/verdict``), the user's new state (through `state`), what was learned for
/// the global statistics and the challenge to create. It reads no clock, draws no random numbers
/// and touches no store; the shared counters it reads (global statistics, failures per network) it
/// never writes — the caller applies ``KernelStep/learned`` and ``KernelStep/networkFailure``.
///
/// What differs between callers wraps around it: the service creates the challenge, builds the
/// full ``Decision`` and its audit record and commits them; replay plays the user's side of the
/// challenge from the event's label (``passChallenge(_:step:time:state:)``,
/// ``failChallenge(step:time:state:)``).
package struct DecisionKernel {
    package let policy: CompiledPolicy
    package let computer: SignalComputer
    package let model = LoginModel()

    package init(policy: CompiledPolicy, computer: SignalComputer) {
        self.policy = policy
        self.computer = computer
    }

    /// Decides `request` for the user whose state is `state` at `time`, and updates the state.
    ///
    /// `signals` and `evaluation` are scratch values the caller may reuse across requests (so
    /// replay allocates nothing for them); on return they hold this request's signals (with the
    /// model's and the score's written in) and the policy's evaluation, for explanations.
    ///
    /// - Parameters:
    ///   - time: the request's time as the caller trusts it; lockout windows, history and the lock
    ///     guard all read it.
    ///   - networkFailures: failures per source network across accounts (`ip.network_failures`),
    ///     read only.
    ///   - agents: a parse cache for user agents (replay's); results are the same without it.
    package func decide(_ request: RequestContext, state: inout UserState, time: Date, global: GlobalLoginStats,
                networkFailures: NetworkFailureTracker?, agents: UserAgentChainCache? = nil,
                signals: inout SignalValues, evaluation: inout Evaluation) -> KernelStep {
        signals.reset()
        // A user never seen has an empty state, which the computer reads as no history.
        let computation = computer.compute(request, userState: state, now: time, networkFailures: networkFailures,
                                           into: &signals)
        let location = computation.location
        let features = agents.map {
            LoginFeatures(ip: location.ip, asn: location.asn, country: location.country,
                          userAgent: request.device?.userAgent, cache: $0)
        } ?? LoginFeatures(context: request, ip: location.ip, asn: location.asn, country: location.country)
        let assessment = model.assess(features, user: state.model, global: global)
        signals[.modelRisk] = .number(assessment.risk)
        signals[.modelLogRatio] = .number(assessment.logRatio)
        let verdict = Self.judge(policy, signals: &signals, evaluation: &evaluation, state: state,
                                 computation: computation, time: time)

        var step = KernelStep(verdict: verdict, computation: computation, features: features, assessment: assessment)
        switch Self.consequence(of: verdict.outcome, request: request) {
        case .countFailure:
            // A failed first factor counts toward lockout; no challenge is raised for it. It is
            // counted at the request's time, the time `account.failures` and the lock guard
            // read: a sequence of timed requests (three failures at 10:01-10:03, a login at
            // 10:20) then sees its own failures and lockout, whenever it is sent. A caller that
            // could backdate a failure to dodge lockout could as well leave `result` out.
            step.lockedNow = Lockout.recordFailure(&state, settings: policy.settings, familiar: computation.familiar,
                                                   now: time).lockedNow
            if let ip = location.ip {
                step.networkFailure = NetworkFailure(ip: ip, time: time, window: policy.settings.lockoutWindow)
            }
        case .accept:
            step.learned = learn(request, location: location, typing: computation.typing, features: features, time: time,
                                 state: &state)
        case .none:
            break
        case .challenge:
            step.challenge = verdict.outcome
        }
        return step
    }

    /// Runs `policy` on `signals` and applies the lock guard: the outcome and rule a request gets.
    ///
    /// A locked or banned account is denied whatever the policy says, with the reason as the rule,
    /// and so is an unfamiliar request from a network over `lockout.network_threshold` failures.
    /// A lock from unfamiliar contexts' failures does not stop a request from a familiar context,
    /// and neither does the network throttle: the account's own device or network still gets in.
    ///
    /// The shadow policy is judged here too, on the enforced policy's signals.
    package static func judge(_ policy: CompiledPolicy, signals: inout SignalValues, evaluation: inout Evaluation,
                      state: UserState, computation: SignalComputation, time: Date) -> KernelVerdict {
        policy.evaluate(&signals, into: &evaluation)
        var verdict = KernelVerdict(outcome: evaluation.outcome, rule: policy.ruleID(at: evaluation.ruleIndex))
        guard verdict.outcome != .deny else { return verdict }
        let status = Lockout.status(state, familiar: computation.familiar, now: time)
        let settings = policy.settings
        var reason: String?
        if status.banned {
            reason = "account.banned"
        } else if status.locked {
            reason = "account.locked"
        } else if settings.networkThreshold > 0, !computation.familiar,
                  computation.networkFailures >= settings.networkThreshold {
            reason = "ip.network_throttled"
        }
        if let reason {
            verdict.outcome = .deny
            verdict.rule = reason
            verdict.lockRule = reason
        }
        return verdict
    }

    /// What an outcome does to the user's state.
    package enum Consequence {
        /// A failed first factor: one failure toward lockout.
        case countFailure
        /// The login is let in and learned.
        case accept
        /// Denied: nothing changes.
        case none
        /// A challenge decides whether the login is let in.
        case challenge
    }

    /// What `outcome` does for `request`: the one place an outcome's effect is chosen.
    package static func consequence(of outcome: Outcome, request: RequestContext) -> Consequence {
        if request.result == "failure" { return .countFailure }
        switch outcome {
        case .passive: return .accept
        case .deny: return .none
        case .otp, .otpKbaDelay, .agentEscalation: return .challenge
        }
    }

    /// Records an accepted login into the user's state: history, devices, typing template and the
    /// user's model counts. Returns what the global statistics learn from it.
    ///
    /// `typing` is the sample as the decision scored it (``SignalComputation/typing``), `nil` when
    /// the template may have changed since (a challenge passed later): it is then measured again.
    package func learn(_ request: RequestContext, location: ResolvedLocation, typing: TypingDynamics.ScoredSample?,
               features: LoginFeatures, time: Date, state: inout UserState) -> LearnedLogin {
        HistoryRecorder.recordAcceptedLogin(request, location: location, typing: typing, settings: policy.settings,
                                            now: time, into: &state)
        let newUser = model.learnUser(features, user: &state.model)
        return LearnedLogin(features: features, newUser: newUser)
    }

    /// The user passed the challenge `step` raised, at once: the login is learned as the decision saw it.
    package func passChallenge(_ request: RequestContext, step: KernelStep, time: Date, state: inout UserState) -> LearnedLogin {
        learn(request, location: step.computation.location, typing: step.computation.typing, features: step.features,
              time: time, state: &state)
    }

    /// The user failed the challenge `step` raised: one failure toward lockout, in the request's context class.
    package func failChallenge(step: KernelStep, time: Date, state: inout UserState) {
        _ = Lockout.recordFailure(&state, settings: policy.settings, familiar: step.computation.familiar, now: time)
    }
}
