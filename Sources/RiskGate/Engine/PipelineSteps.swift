import Foundation

/// Steps the service engine and the replay engine share, so both decide and learn the same way.
enum PipelineSteps {
    /// The rule id that overrides any outcome for a locked or banned account, or `nil` when neither.
    /// A lock from unfamiliar contexts' failures does not stop a request from a familiar context.
    static func lockRule(_ state: UserState, familiar: Bool, now: Date) -> String? {
        let status = Lockout.status(state, familiar: familiar, now: now)
        guard status.locked || status.banned else { return nil }
        return status.banned ? "account.banned" : "account.locked"
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
