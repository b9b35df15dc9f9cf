import RiskGatePolicy

/// The result of a replay; every metric is defined in docs/replay.md.
///
/// Encodes to the JSON object of docs/replay.md (snake_case keys) plus extras. Ratios whose
/// denominator is zero (no legitimate events, no attack events, an empty label class for the
/// AUC) are `null`, never a made-up 0.
public struct ReplayReport: Sendable, Hashable, Codable {
    /// Events replayed (good lines).
    public var events: Int
    /// Lines read, including bad and blank lines.
    public var lines: Int
    /// Events per outcome.
    public var outcomes: OutcomeCounts
    /// Events per outcome divided by ``events`` (0 when there are none).
    public var outcomeShares: OutcomeShares
    /// Events per label class; `account_takeover` is a subset of `attack`.
    public var labels: LabelCounts
    /// Share of legitimate events that got anything but `passive`; `nil` without legitimate events.
    public var legitFriction: Double?
    /// Share of attack events that did not get `passive`; `nil` without attack events.
    public var attackStopRate: Double?
    /// Account-takeover events that got `passive`.
    public var takeoversLetThrough: Int
    /// Mann–Whitney ROC AUC of the score, attack vs legitimate; `nil` when either class is empty.
    public var scoreAUC: Double?
    /// Lines skipped as unusable.
    public var badLines: Int
    /// The first skipped lines with their reasons.
    public var badLineExamples: [BadLine]
    /// ``events`` divided by ``elapsedSeconds``.
    public var eventsPerSecond: Double
    /// Wall time from the first read to the last decision.
    public var elapsedSeconds: Double
    /// The process's peak resident memory (Linux `VmHWM`), 0 when unknown.
    public var peakMemoryBytes: Int
    /// Outcomes per label class.
    public var byLabel: LabelBreakdown
    /// Outcomes and label metrics per `channel` (`(none)` when absent, `(other)` past the channel limit).
    public var byChannel: [String: ChannelBreakdown]
    /// The score ROC curve (threshold descending), at most 200 points.
    public var roc: [ROCPoint]
    /// Score distributions per label class.
    public var scoreHistograms: ScoreHistograms
    /// Comparison with the baseline policy, when one was given.
    public var baseline: BaselineComparison?
    /// Events, legit friction and attack stop rate per UTC day (per hour when the stream spans
    /// under two days), for the candidate and the baseline.
    public var timeline: [TimelinePoint]
    /// The score as a step-up threshold: friction and stop rate per cut-off, and the cut-offs that
    /// keep legit friction under 1 %, 2 % and 5 %.
    public var thresholds: ScoreThresholds
    /// Per rule (decide and score), keyed by id: events per label, attack precision, unique catches,
    /// points; rules that never matched are flagged.
    public var rules: [String: RuleReport]
    /// The first 50 account takeovers let through, with the signals that were on.
    public var takeoversLetThroughExamples: [TakeoverLetThrough]

    enum CodingKeys: String, CodingKey {
        case events, lines, outcomes, labels, roc, baseline, timeline, thresholds, rules
        case takeoversLetThroughExamples = "takeovers_let_through_examples"
        case outcomeShares = "outcome_shares"
        case legitFriction = "legit_friction"
        case attackStopRate = "attack_stop_rate"
        case takeoversLetThrough = "takeovers_let_through"
        case scoreAUC = "score_auc"
        case badLines = "bad_lines"
        case badLineExamples = "bad_line_examples"
        case eventsPerSecond = "events_per_second"
        case elapsedSeconds = "elapsed_seconds"
        case peakMemoryBytes = "peak_memory_bytes"
        case byLabel = "by_label"
        case byChannel = "by_channel"
        case scoreHistograms = "score_histograms"
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(events, forKey: .events)
        try c.encode(lines, forKey: .lines)
        try c.encode(outcomes, forKey: .outcomes)
        try c.encode(outcomeShares, forKey: .outcomeShares)
        try c.encode(labels, forKey: .labels)
        // docs/replay.md keys are always present; undefined ratios are an explicit null.
        try c.encode(legitFriction, forKey: .legitFriction)
        try c.encode(attackStopRate, forKey: .attackStopRate)
        try c.encode(takeoversLetThrough, forKey: .takeoversLetThrough)
        try c.encode(scoreAUC, forKey: .scoreAUC)
        try c.encode(badLines, forKey: .badLines)
        try c.encode(badLineExamples, forKey: .badLineExamples)
        try c.encode(eventsPerSecond, forKey: .eventsPerSecond)
        try c.encode(elapsedSeconds, forKey: .elapsedSeconds)
        try c.encode(peakMemoryBytes, forKey: .peakMemoryBytes)
        try c.encode(byLabel, forKey: .byLabel)
        try c.encode(byChannel, forKey: .byChannel)
        try c.encode(roc, forKey: .roc)
        try c.encode(scoreHistograms, forKey: .scoreHistograms)
        try c.encode(baseline, forKey: .baseline)
        try c.encode(timeline, forKey: .timeline)
        try c.encode(thresholds, forKey: .thresholds)
        try c.encode(rules, forKey: .rules)
        try c.encode(takeoversLetThroughExamples, forKey: .takeoversLetThroughExamples)
    }
}

/// One value per outcome, keyed by the outcome's name in JSON.
public struct PerOutcome<Value: Sendable & Hashable & Codable>: Sendable, Hashable, Codable {
    public var passive: Value
    public var otp: Value
    public var otpKbaDelay: Value
    public var agentEscalation: Value
    public var deny: Value

    public init(passive: Value, otp: Value, otpKbaDelay: Value, agentEscalation: Value, deny: Value) {
        self.passive = passive; self.otp = otp; self.otpKbaDelay = otpKbaDelay
        self.agentEscalation = agentEscalation; self.deny = deny
    }

    /// Builds the table from a function of the outcome.
    public init(_ value: (Outcome) -> Value) {
        self.init(passive: value(.passive), otp: value(.otp), otpKbaDelay: value(.otpKbaDelay),
                  agentEscalation: value(.agentEscalation), deny: value(.deny))
    }

    public subscript(outcome: Outcome) -> Value {
        get {
            switch outcome {
            case .passive: passive
            case .otp: otp
            case .otpKbaDelay: otpKbaDelay
            case .agentEscalation: agentEscalation
            case .deny: deny
            }
        }
        set {
            switch outcome {
            case .passive: passive = newValue
            case .otp: otp = newValue
            case .otpKbaDelay: otpKbaDelay = newValue
            case .agentEscalation: agentEscalation = newValue
            case .deny: deny = newValue
            }
        }
    }

    enum CodingKeys: String, CodingKey {
        case passive, otp, deny
        case otpKbaDelay = "otp_kba_delay"
        case agentEscalation = "agent_escalation"
    }
}

/// Events per outcome.
public typealias OutcomeCounts = PerOutcome<Int>
/// Shares of events per outcome (0...1).
public typealias OutcomeShares = PerOutcome<Double>

/// Events per label class (docs/replay.md): `attack` includes `account_takeover`.
public struct LabelCounts: Sendable, Hashable, Codable {
    public var legit: Int
    public var attack: Int
    public var accountTakeover: Int
    public var unknown: Int

    public init(legit: Int, attack: Int, accountTakeover: Int, unknown: Int) {
        self.legit = legit; self.attack = attack; self.accountTakeover = accountTakeover; self.unknown = unknown
    }

    enum CodingKeys: String, CodingKey {
        case legit, attack, unknown
        case accountTakeover = "account_takeover"
    }
}

/// How a group of events was decided.
public struct OutcomeBreakdown: Sendable, Hashable, Codable {
    public var events: Int
    public var outcomes: OutcomeCounts
    public var shares: OutcomeShares
    /// Share of the group's events that got anything but `passive`; `nil` for an empty group.
    public var nonPassiveShare: Double?

    public init(events: Int, outcomes: OutcomeCounts, shares: OutcomeShares, nonPassiveShare: Double?) {
        self.events = events; self.outcomes = outcomes; self.shares = shares; self.nonPassiveShare = nonPassiveShare
    }

    enum CodingKeys: String, CodingKey {
        case events, outcomes, shares
        case nonPassiveShare = "non_passive_share"
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(events, forKey: .events)
        try c.encode(outcomes, forKey: .outcomes)
        try c.encode(shares, forKey: .shares)
        try c.encode(nonPassiveShare, forKey: .nonPassiveShare)
    }
}

/// Outcomes per label class.
public struct LabelBreakdown: Sendable, Hashable, Codable {
    public var legit: OutcomeBreakdown
    public var attack: OutcomeBreakdown
    public var accountTakeover: OutcomeBreakdown
    public var unknown: OutcomeBreakdown

    public init(legit: OutcomeBreakdown, attack: OutcomeBreakdown, accountTakeover: OutcomeBreakdown, unknown: OutcomeBreakdown) {
        self.legit = legit; self.attack = attack; self.accountTakeover = accountTakeover; self.unknown = unknown
    }

    enum CodingKeys: String, CodingKey {
        case legit, attack, unknown
        case accountTakeover = "account_takeover"
    }
}

/// One channel's outcomes and label metrics.
public struct ChannelBreakdown: Sendable, Hashable, Codable {
    public var events: Int
    public var outcomes: OutcomeCounts
    public var shares: OutcomeShares
    public var labels: LabelCounts
    public var legitFriction: Double?
    public var attackStopRate: Double?
    public var takeoversLetThrough: Int

    public init(events: Int, outcomes: OutcomeCounts, shares: OutcomeShares, labels: LabelCounts,
                legitFriction: Double?, attackStopRate: Double?, takeoversLetThrough: Int) {
        self.events = events; self.outcomes = outcomes; self.shares = shares; self.labels = labels
        self.legitFriction = legitFriction; self.attackStopRate = attackStopRate
        self.takeoversLetThrough = takeoversLetThrough
    }

    enum CodingKeys: String, CodingKey {
        case events, outcomes, shares, labels
        case legitFriction = "legit_friction"
        case attackStopRate = "attack_stop_rate"
        case takeoversLetThrough = "takeovers_let_through"
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(events, forKey: .events)
        try c.encode(outcomes, forKey: .outcomes)
        try c.encode(shares, forKey: .shares)
        try c.encode(labels, forKey: .labels)
        try c.encode(legitFriction, forKey: .legitFriction)
        try c.encode(attackStopRate, forKey: .attackStopRate)
        try c.encode(takeoversLetThrough, forKey: .takeoversLetThrough)
    }
}

/// One point of the ROC curve: flagging events with `score >= threshold`.
public struct ROCPoint: Sendable, Hashable, Codable {
    /// Score threshold (`nil` for the start point, where nothing is flagged).
    public var threshold: Double?
    /// False-positive rate: legitimate events at or above the threshold / legitimate events.
    public var fpr: Double
    /// True-positive rate: attack events at or above the threshold / attack events.
    public var tpr: Double

    public init(threshold: Double?, fpr: Double, tpr: Double) {
        self.threshold = threshold; self.fpr = fpr; self.tpr = tpr
    }

    enum CodingKeys: String, CodingKey { case threshold, fpr, tpr }

    /// Writes `threshold` as `null` for the start point, so every point has the same keys.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(threshold, forKey: .threshold)
        try c.encode(fpr, forKey: .fpr)
        try c.encode(tpr, forKey: .tpr)
    }
}

/// Score distributions per label class, as counts in equal-width bins over 0...100.
public struct ScoreHistograms: Sendable, Hashable, Codable {
    /// Width of each bin; bin `i` holds scores in `[i*w, (i+1)*w)`, the last bin also holds 100.
    public var binWidth: Double
    public var legit: [Int]
    public var attack: [Int]
    public var accountTakeover: [Int]
    public var unknown: [Int]

    public init(binWidth: Double, legit: [Int], attack: [Int], accountTakeover: [Int], unknown: [Int]) {
        self.binWidth = binWidth; self.legit = legit; self.attack = attack
        self.accountTakeover = accountTakeover; self.unknown = unknown
    }

    enum CodingKeys: String, CodingKey {
        case legit, attack, unknown
        case binWidth = "bin_width"
        case accountTakeover = "account_takeover"
    }
}

/// The baseline's own metrics and how its outcomes moved under the candidate.
public struct BaselineComparison: Sendable, Hashable, Codable {
    public var outcomes: OutcomeCounts
    public var legitFriction: Double?
    public var attackStopRate: Double?
    public var takeoversLetThrough: Int
    public var scoreAUC: Double?
    /// Events whose outcome differs between baseline and candidate.
    public var changed: Int
    /// Every non-empty cell of the 5×5 baseline → candidate outcome matrix.
    public var transitions: [TransitionCell]

    public init(outcomes: OutcomeCounts, legitFriction: Double?, attackStopRate: Double?, takeoversLetThrough: Int,
                scoreAUC: Double?, changed: Int, transitions: [TransitionCell]) {
        self.outcomes = outcomes; self.legitFriction = legitFriction; self.attackStopRate = attackStopRate
        self.takeoversLetThrough = takeoversLetThrough; self.scoreAUC = scoreAUC; self.changed = changed
        self.transitions = transitions
    }

    /// The cell for `from → to`, or an empty one.
    public func cell(from: Outcome, to: Outcome) -> TransitionCell {
        transitions.first { $0.from == from && $0.to == to }
            ?? TransitionCell(from: from, to: to, labels: LabelCounts(legit: 0, attack: 0, accountTakeover: 0, unknown: 0), total: 0, examples: [])
    }

    enum CodingKeys: String, CodingKey {
        case outcomes, changed, transitions
        case legitFriction = "legit_friction"
        case attackStopRate = "attack_stop_rate"
        case takeoversLetThrough = "takeovers_let_through"
        case scoreAUC = "score_auc"
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(outcomes, forKey: .outcomes)
        try c.encode(legitFriction, forKey: .legitFriction)
        try c.encode(attackStopRate, forKey: .attackStopRate)
        try c.encode(takeoversLetThrough, forKey: .takeoversLetThrough)
        try c.encode(scoreAUC, forKey: .scoreAUC)
        try c.encode(changed, forKey: .changed)
        try c.encode(transitions, forKey: .transitions)
    }
}

/// Events that the baseline decided `from` and the candidate decided `to`.
public struct TransitionCell: Sendable, Hashable, Codable {
    public var from: Outcome
    public var to: Outcome
    public var labels: LabelCounts
    public var total: Int
    /// Up to three events of the cell (only for changed cells), in stream order.
    public var examples: [TransitionExample]

    public init(from: Outcome, to: Outcome, labels: LabelCounts, total: Int, examples: [TransitionExample]) {
        self.from = from; self.to = to; self.labels = labels; self.total = total; self.examples = examples
    }
}

/// One event whose outcome changed, with both deciders' reasons.
public struct TransitionExample: Sendable, Hashable, Codable {
    public var line: Int
    public var id: String?
    public var user: String
    /// The event's `time`, formatted as in docs/http-api.md.
    public var time: String
    /// `legit`, `attack`, `account_takeover` or `unknown`.
    public var label: String
    public var baselineScore: Double
    public var candidateScore: Double
    public var baselineRule: String
    public var candidateRule: String

    public init(line: Int, id: String?, user: String, time: String, label: String, baselineScore: Double,
                candidateScore: Double, baselineRule: String, candidateRule: String) {
        self.line = line; self.id = id; self.user = user; self.time = time; self.label = label
        self.baselineScore = baselineScore; self.candidateScore = candidateScore
        self.baselineRule = baselineRule; self.candidateRule = candidateRule
    }

    enum CodingKeys: String, CodingKey {
        case line, id, user, time, label
        case baselineScore = "baseline_score"
        case candidateScore = "candidate_score"
        case baselineRule = "baseline_rule"
        case candidateRule = "candidate_rule"
    }
}
