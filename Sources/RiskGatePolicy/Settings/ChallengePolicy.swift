/// How each outcome's challenge is carried out: the policy's `challenges:` section, compiled.
///
/// Durations are in seconds.
public struct ChallengePolicy: Sendable, Hashable {
    /// The `otp` outcome.
    public var otp = OTPConfig()
    /// The `otp_kba_delay` outcome: OTP, then knowledge questions, then an enforced wait.
    public var otpKbaDelay = StepUpConfig()
    /// Replacements when a step cannot be used for this user, in policy order.
    public var fallbacks: [Fallback] = []
    /// For agent-led sessions (channel `agent`, or `chat`/`voice` when enabled): show the OTP to the agent.
    public var showCodeToAgent = false

    public init() {}

    /// One-time passcode settings.
    public struct OTPConfig: Sendable, Hashable {
        /// Digits in the code.
        public var length = 6
        public var ttl: Double = 300
        public var maxAttempts = 3
        /// Delivery channels in preference order; the request's own channel is skipped.
        public var channels: [String] = ["sms", "email"]
        /// Where a failed challenge goes (`nil`: the failure stands, the caller may retry with a new request).
        public var onFailure: Outcome? = .agentEscalation
        /// Ask the account's registered app to approve instead of sending a code (`push:` in the plan);
        /// the code settings above then serve a fallback that swaps the push for a code.
        public var push: PushConfig?
        public init() {}
    }

    /// A push approval: the account's registered app device approves or denies the login.
    public struct PushConfig: Sendable, Hashable {
        /// How long the approval request stays answerable.
        public var ttl: Double = 120
        /// The login screen shows a number the user must pick in the app, so an approval given
        /// without looking at the login (push fatigue) picks a wrong number and fails.
        public var numberMatching = true
        public init() {}
    }

    /// OTP, then KBA, then a wait.
    public struct StepUpConfig: Sendable, Hashable {
        public var otp: OTPConfig = {
            var c = OTPConfig()
            c.length = 8
            return c
        }()
        /// Knowledge questions to ask.
        public var kbaQuestions = 2
        /// Characters of the partial secret to ask for (0: no partial-secret step).
        public var partialSecretCharacters = 0
        /// Enforced wait after the other steps, before access.
        public var delay: Double = 30
        public var onFailure: Outcome? = .agentEscalation
        /// A push approval in place of the OTP step (the OTP settings then serve a fallback).
        public var push: PushConfig?
        public init() {}
    }

    /// `- { when: not account.has_phone, replace: otp, with: kba }`.
    public struct Fallback: Sendable, Hashable {
        /// Index of the compiled condition in the policy (evaluate with `CompiledPolicy.fallbackApplies`).
        public var conditionIndex: Int
        /// The step (`otp`, `push`, `kba`, `partial_secret`, `delay`) or delivery channel (`sms`, `email`, `push`, `voice`)
        /// replaced. `push` names the push approval step when the challenge has one, else the OTP channel.
        public var replace: String
        /// What replaces it.
        public var with: String
        public init(conditionIndex: Int, replace: String, with: String) {
            self.conditionIndex = conditionIndex; self.replace = replace; self.with = with
        }
    }
}
