/// The answer to a request (docs/http-api.md): one outcome, with its reasons.
public struct Decision: Sendable, Hashable, Codable {
    public var id: String
    public var outcome: Outcome
    /// The clamped 0..100 score.
    public var score: Double
    /// `low`, `medium` or `high`.
    public var band: String
    /// Id of the rule that decided.
    public var rule: String
    /// Ids from the top-level rule down to the deciding rule (nested groups first).
    public var path: [String]
    /// Every score rule that added points, in policy order; their points sum to the unclamped score.
    public var contributions: [Contribution]
    /// The challenge created for this decision, when the outcome needs one.
    public var challenge: ChallengeSummary?
    /// Set when `outcome` is not the deciding rule's: that outcome's challenge could not be carried
    /// out for this user (see ``Escalation``).
    public var escalated: Escalation?
    public var policy: PolicyReference
    /// With explain: every signal used, and the deciding rule's sub-conditions.
    public var explanation: Explanation?
    /// This request's failed password locked the account (the transition to locked, which the
    /// service counts as a lockout). Not part of the JSON form: the client sees the outcome.
    public var lockedAccount = false

    public init(id: String, outcome: Outcome, score: Double, band: String, rule: String, path: [String],
                contributions: [Contribution], challenge: ChallengeSummary? = nil, policy: PolicyReference,
                explanation: Explanation? = nil) {
        self.id = id; self.outcome = outcome; self.score = score; self.band = band; self.rule = rule
        self.path = path; self.contributions = contributions; self.challenge = challenge
        self.policy = policy; self.explanation = explanation
    }

    enum CodingKeys: String, CodingKey {
        case id, outcome, score, band, rule, path, contributions, challenge, escalated, policy, explanation
    }

    /// Why a decision's outcome is not its deciding rule's: a step of the rule's challenge cannot
    /// be used for this user and no policy fallback replaced it, so the challenge went to its
    /// `on_failure` outcome (docs/state.md's failure path, taken before the user is asked anything).
    public struct Escalation: Sendable, Hashable, Codable {
        /// The deciding rule's outcome.
        public var from: Outcome
        /// `no_otp_channel` (no phone, email or trusted device for any configured channel),
        /// `no_kba_answers` (fewer KBA answers on file than questions to ask), `no_partial_secret`,
        /// `no_push_device` (no app registered for a push approval) or `no_usable_step`.
        public var reason: String
        public init(from: Outcome, reason: String) { self.from = from; self.reason = reason }
    }

    /// One score rule's share of the score.
    public struct Contribution: Sendable, Hashable, Codable {
        public var id: String
        public var points: Double
        public var reason: String
        public init(id: String, points: Double, reason: String) {
            self.id = id; self.points = points; self.reason = reason
        }
    }

    /// What the caller needs to run the challenge.
    public struct ChallengeSummary: Sendable, Hashable, Codable {
        public var id: String
        public var steps: [String]
        public var otp: OTPInfo?
        public var delayS: Double
        /// Partial-secret positions (1-based) the user must enter, when that step is used.
        public var positions: [Int]?
        /// Only for agent-led sessions whose policy allows it: the code, shown to the agent.
        public var agentVisibleCode: String?
        /// KBA questions the user must answer, in order, when that step is used.
        public var questions: [String]?
        /// The push approval sent to the account's app, when that step is used.
        public var push: PushInfo?
        public init(id: String, steps: [String], otp: OTPInfo? = nil, delayS: Double = 0,
                    positions: [Int]? = nil, agentVisibleCode: String? = nil, questions: [String]? = nil) {
            self.id = id; self.steps = steps; self.otp = otp; self.delayS = delayS
            self.positions = positions; self.agentVisibleCode = agentVisibleCode; self.questions = questions
        }
        public struct OTPInfo: Sendable, Hashable, Codable {
            public var channel: String
            public var ttlS: Double
            public init(channel: String, ttlS: Double) { self.channel = channel; self.ttlS = ttlS }
            enum CodingKeys: String, CodingKey { case channel; case ttlS = "ttl_s" }
        }
        /// What the login screen shows while the app is asked.
        public struct PushInfo: Sendable, Hashable, Codable {
            /// The app device asked.
            public var device: String
            /// With number matching: the number to show on the login screen, which the user
            /// must pick among the app's choices. It is only here, never in the push message.
            public var number: Int?
            public var ttlS: Double
            public init(device: String, number: Int?, ttlS: Double) { self.device = device; self.number = number; self.ttlS = ttlS }
            enum CodingKeys: String, CodingKey { case device, number; case ttlS = "ttl_s" }
        }
        enum CodingKeys: String, CodingKey {
            case id, steps, otp, positions, questions, push
            case delayS = "delay_s"
            case agentVisibleCode = "agent_visible_code"
        }
    }

    /// Which policy decided.
    public struct PolicyReference: Sendable, Hashable, Codable {
        public var name: String
        /// `sha256:` and the hex digest of the policy source.
        public var hash: String
        public init(name: String, hash: String) { self.name = name; self.hash = hash }
    }

    /// The "why" of a decision.
    public struct Explanation: Sendable, Hashable, Codable {
        /// Every signal value the policy read, by name (`null` when unavailable).
        public var signals: [String: JSONValue]
        /// For the deciding rule (and enclosing groups), each sub-condition's text and value.
        public var conditions: [Condition]
        /// The statistical model's top features, when the model ran.
        public var model: [ModelFeature]?
        public init(signals: [String: JSONValue], conditions: [Condition], model: [ModelFeature]? = nil) {
            self.signals = signals; self.conditions = conditions; self.model = model
        }
        public struct Condition: Sendable, Hashable, Codable {
            public var rule: String
            public var condition: String
            public var value: Bool
            public init(rule: String, condition: String, value: Bool) {
                self.rule = rule; self.condition = condition; self.value = value
            }
        }
        public struct ModelFeature: Sendable, Hashable, Codable {
            public var feature: String
            public var value: String
            /// Natural-log contribution to the likelihood ratio.
            public var logRatio: Double
            public init(feature: String, value: String, logRatio: Double) {
                self.feature = feature; self.value = value; self.logRatio = logRatio
            }
            enum CodingKeys: String, CodingKey { case feature, value; case logRatio = "log_ratio" }
        }
    }
}
