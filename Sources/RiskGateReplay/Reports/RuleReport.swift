/// One rule in a replay report (JSON `rules`, keyed by rule id): what it decided or fired on, per label.
public struct RuleReport: Sendable, Hashable, Codable {
    /// `decide` or `score`.
    public var kind: String
    /// Events it decided (a decide rule) or gave points to (a score rule).
    public var matched: Int
    public var legit: Int
    /// Attack events among them; `account_takeover` ⊂ `attack`.
    public var attack: Int
    public var accountTakeover: Int
    public var unknown: Int
    /// `attack / (legit + attack)`: the share of attacks among the labelled events it matched; `nil` when none.
    public var attackPrecision: Double?
    /// Decide rules: attacks it stopped that no other non-passive decide rule would have stopped.
    public var uniqueCatches: Int?
    /// Score rules: points it gave, per label.
    public var points: LabelPoints?
    /// It matched no event.
    public var neverMatched: Bool
    /// The same counts under the baseline policy, when one was given and has this rule.
    public var baseline: Counts?

    /// A rule's counts under the baseline.
    public struct Counts: Sendable, Hashable, Codable {
        public var matched: Int
        public var legit: Int
        public var attack: Int
        public var accountTakeover: Int
        public var unknown: Int
        enum CodingKeys: String, CodingKey {
            case matched, legit, attack, unknown
            case accountTakeover = "account_takeover"
        }
    }

    enum CodingKeys: String, CodingKey {
        case kind, matched, legit, attack, unknown, points, baseline
        case accountTakeover = "account_takeover"
        case attackPrecision = "attack_precision"
        case uniqueCatches = "unique_catches"
        case neverMatched = "never_matched"
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(kind, forKey: .kind)
        try c.encode(matched, forKey: .matched)
        try c.encode(legit, forKey: .legit)
        try c.encode(attack, forKey: .attack)
        try c.encode(accountTakeover, forKey: .accountTakeover)
        try c.encode(unknown, forKey: .unknown)
        try c.encode(attackPrecision, forKey: .attackPrecision)
        try c.encodeIfPresent(uniqueCatches, forKey: .uniqueCatches)
        try c.encodeIfPresent(points, forKey: .points)
        try c.encode(neverMatched, forKey: .neverMatched)
        try c.encodeIfPresent(baseline, forKey: .baseline)
    }

    /// The report of one rule from the candidate's counts and, optionally, the baseline's.
    package init(_ counts: RuleCounts, baseline: RuleCounts?) {
        kind = counts.kind.rawValue
        legit = counts.labels.legit
        attack = counts.labels.attack
        accountTakeover = counts.labels.accountTakeover
        unknown = counts.labels.unknown
        matched = legit + attack + unknown
        attackPrecision = DeciderTally.ratio(attack, legit + attack)
        uniqueCatches = counts.uniqueCatches
        points = counts.points
        neverMatched = matched == 0
        self.baseline = baseline.map {
            Counts(matched: $0.labels.legit + $0.labels.attack + $0.labels.unknown, legit: $0.labels.legit,
                   attack: $0.labels.attack, accountTakeover: $0.labels.accountTakeover, unknown: $0.labels.unknown)
        }
    }
}

/// Points per label class.
public struct LabelPoints: Sendable, Hashable, Codable {
    public var legit: Double
    public var attack: Double
    public var accountTakeover: Double
    public var unknown: Double
    enum CodingKeys: String, CodingKey {
        case legit, attack, unknown
        case accountTakeover = "account_takeover"
    }
}

/// An account takeover that got `passive`: enough to write the rule that would have stopped it.
public struct TakeoverLetThrough: Sendable, Hashable, Codable {
    public var line: Int
    public var id: String?
    public var user: String
    public var time: String
    public var score: Double
    public var rule: String
    /// The boolean signals that were true.
    public var signals: [String]
}
