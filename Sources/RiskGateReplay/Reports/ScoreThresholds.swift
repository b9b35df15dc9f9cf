/// What the score alone would do as a step-up threshold: for cut-offs every 5 points, the legit
/// friction and attack stop rate of challenging every event scoring at least the cut-off.
public struct ScoreThresholds: Sendable, Hashable, Codable {
    /// One cut-off.
    public struct Row: Sendable, Hashable, Codable {
        public var score: Double
        /// Share of legitimate events scoring at least `score`; `nil` without legitimate events.
        public var legitFriction: Double?
        /// Share of attack events scoring at least `score`; `nil` without attack events.
        public var attackStopRate: Double?
        enum CodingKeys: String, CodingKey {
            case score
            case legitFriction = "legit_friction"
            case attackStopRate = "attack_stop_rate"
        }
        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(score, forKey: .score)
            try c.encode(legitFriction, forKey: .legitFriction)
            try c.encode(attackStopRate, forKey: .attackStopRate)
        }
    }

    /// The lowest cut-off of ``cutoffs`` that keeps legit friction under a budget.
    public struct Pick: Sendable, Hashable, Codable {
        /// The budget: 0.01, 0.02 or 0.05.
        public var maxLegitFriction: Double
        /// The cut-off, or `nil` when none in the table stays under the budget.
        public var score: Double?
        public var legitFriction: Double?
        public var attackStopRate: Double?
        enum CodingKeys: String, CodingKey {
            case score
            case maxLegitFriction = "max_legit_friction"
            case legitFriction = "legit_friction"
            case attackStopRate = "attack_stop_rate"
        }
        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(maxLegitFriction, forKey: .maxLegitFriction)
            try c.encode(score, forKey: .score)
            try c.encode(legitFriction, forKey: .legitFriction)
            try c.encode(attackStopRate, forKey: .attackStopRate)
        }
    }

    public var cutoffs: [Row]
    public var forLegitFriction: [Pick]

    enum CodingKeys: String, CodingKey {
        case cutoffs
        case forLegitFriction = "for_legit_friction"
    }

    /// The table from the candidate's exact score buckets (0.01 resolution) per label.
    package init(legit: ArraySlice<Int>, attack: ArraySlice<Int>) {
        let legitTotal = legit.reduce(0, +)
        let attackTotal = attack.reduce(0, +)
        let l = Array(legit), a = Array(attack)
        var rows: [Row] = []
        for cutoff in stride(from: 0, through: 100, by: 5) {
            let from = ScoreBuckets.index(of: Double(cutoff))
            let legitAbove = l[from...].reduce(0, +)
            let attackAbove = a[from...].reduce(0, +)
            rows.append(Row(score: Double(cutoff), legitFriction: DeciderTally.ratio(legitAbove, legitTotal),
                            attackStopRate: DeciderTally.ratio(attackAbove, attackTotal)))
        }
        cutoffs = rows
        forLegitFriction = [0.01, 0.02, 0.05].map { budget in
            guard let row = rows.first(where: { ($0.legitFriction ?? 1) < budget }) else {
                return Pick(maxLegitFriction: budget, score: nil, legitFriction: nil, attackStopRate: nil)
            }
            return Pick(maxLegitFriction: budget, score: row.score, legitFriction: row.legitFriction, attackStopRate: row.attackStopRate)
        }
    }
}
