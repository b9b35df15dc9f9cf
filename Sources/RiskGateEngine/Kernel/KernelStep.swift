import Foundation
import RiskGatePolicy

/// What one ``DecisionKernel`` step decided and what the caller must carry out.
package struct KernelStep {
    /// The outcome and deciding rule, after the lock guard.
    package var verdict: KernelVerdict
    /// How the request's signals were computed (location, typing sample, context class).
    package var computation: SignalComputation
    /// The login's model features, for learning it when a challenge is passed.
    package var features: LoginFeatures
    /// The model's assessment (its top features explain a decision).
    package var assessment: ModelAssessment
    /// Whether a counted first-factor failure locked the account just now.
    package var lockedNow = false
    /// A first-factor failure to count against its source network.
    package var networkFailure: NetworkFailure?
    /// A login let in, for the model's global statistics.
    package var learned: LearnedLogin?
    /// The step-up outcome whose challenge is to be created (and then passed or failed).
    package var challenge: Outcome?
}

/// The outcome and rule a request gets: the policy's, or a lock guard's deny.
package struct KernelVerdict: Hashable {
    package var outcome: Outcome
    /// The deciding rule's id, or the lock guard's reason.
    package var rule: String
    /// The lock guard's reason (`account.locked`, `account.banned`, `ip.network_throttled`) when
    /// it overrode the policy's outcome.
    package var lockRule: String?

    /// Makes `decision`, built from the policy's evaluation, carry this verdict.
    package func apply(to decision: inout Decision) {
        decision.outcome = outcome
        if let lockRule {
            decision.rule = lockRule
            decision.path = [lockRule]
        }
    }
}

/// A login the kernel let in, to join the model's global statistics.
package struct LearnedLogin {
    package var features: LoginFeatures
    /// Whether it was the user's first learned login.
    package var newUser: Bool
}

/// A failed first factor to count against its source network (`ip.network_failures`, the throttle).
package struct NetworkFailure {
    package var ip: IPAddress
    package var time: Date
    /// The lockout window the count spans.
    package var window: Double

    package func record(in tracker: NetworkFailureTracker) {
        tracker.record(ip, now: time, window: window)
    }
}
