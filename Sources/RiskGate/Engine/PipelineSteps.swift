import Foundation
import RiskGatePolicy

/// Steps the service engine and the replay engine share, so both decide and learn the same way.
enum PipelineSteps {
    /// The rule id that overrides any outcome for a locked or banned account, or for an unfamiliar
    /// request from a network over `lockout.network_threshold` failures, or `nil` when none applies.
    /// A lock from unfamiliar contexts' failures does not stop a request from a familiar context,
    /// and neither does the network throttle: the account's own device or network still gets in.
    static func lockRule(_ state: UserState, computation: SignalComputation, settings: PolicySettings, now: Date) -> String? {
        let status = Lockout.status(state, familiar: computation.familiar, now: now)
        if status.banned { return "account.banned" }
        if status.locked { return "account.locked" }
        if settings.networkThreshold > 0, !computation.familiar, computation.networkFailures >= settings.networkThreshold {
            return "ip.network_throttled"
        }
        return nil
    }

    /// Counts a failed attempt against its source network (for `ip.network_failures` and the throttle).
    static func recordNetworkFailure(_ computation: SignalComputation, tracker: NetworkFailureTracker?,
                                     settings: PolicySettings, time: Date) {
        guard let tracker, let ip = computation.location.ip else { return }
        tracker.record(ip, now: time, window: settings.lockoutWindow)
    }

    /// Writes the model's assessment into the signals policies read.
    static func setModelSignals(_ assessment: ModelAssessment, into signals: inout SignalValues) {
        signals[.modelRisk] = .number(assessment.risk)
        signals[.modelLogRatio] = .number(assessment.logRatio)
    }

    /// Records an accepted login: history, devices, typing template, and the login model.
    /// `typing` is the sample as this decision scored it (``SignalComputation/typing``), `nil` when
    /// the login is accepted later (after a challenge) and the template may have changed.
    static func recordAccepted(_ request: RequestContext, location: ResolvedLocation, typing: TypingDynamics.ScoredSample?,
                               features: LoginFeatures, settings: PolicySettings, time: Date, model: LoginModel,
                               global: GlobalLoginStats, state: inout UserState) {
        let isNewUser = recordAcceptedForUser(request, location: location, typing: typing, features: features,
                                              settings: settings, time: time, model: model, state: &state)
        global.record(features, newUser: isNewUser)
    }

    /// The per-user half of ``recordAccepted(_:location:typing:features:settings:time:model:global:state:)``:
    /// history, devices, typing template and the user's model counts. Returns whether it was the
    /// user's first learned login, for the global statistics.
    static func recordAcceptedForUser(_ request: RequestContext, location: ResolvedLocation,
                                      typing: TypingDynamics.ScoredSample?, features: LoginFeatures,
                                      settings: PolicySettings, time: Date, model: LoginModel,
                                      state: inout UserState) -> Bool {
        HistoryRecorder.recordAcceptedLogin(request, location: location, typing: typing, settings: settings, now: time,
                                            into: &state)
        return model.learnUser(features, user: &state.model)
    }
}
