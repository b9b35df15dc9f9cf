/// Per-rule counts for one decider: events each decide rule decided and attacks it alone stopped,
/// and how often each score rule gave points and how many, per label row.
///
/// Bounded: at most ``maxDecideRules`` distinct deciding rule ids (the rest pooled as `(other)`);
/// score rules are indexed by the policy.
package struct RuleTally: Sendable {
    package static let maxDecideRules = 1_000
    static let rows = LabelRow.allCases.count

    /// Per deciding rule id: events per label row, then unique catches.
    package var decide: [String: [Int]] = [:]
    /// Per score rule index: times it gave points per label row, then the points per label row.
    package var score: [Int32: [Double]] = [:]

    package init() {}

    package mutating func add(row: LabelRow, takeover: Bool, result: ReplayResult) {
        var key = result.rule
        if decide[key] == nil && decide.count >= Self.maxDecideRules { key = "(other)" }
        var counts = decide[key] ?? [Int](repeating: 0, count: Self.rows + 1)
        counts[row.rawValue] += 1
        if takeover { counts[LabelRow.accountTakeover.rawValue] += 1 }
        if result.uniqueCatch { counts[Self.rows] += 1 }
        decide[key] = counts
        for (k, index) in result.scoreRulesFired.enumerated() {
            var s = score[index] ?? [Double](repeating: 0, count: 2 * Self.rows)
            let points = k < result.scorePoints.count ? result.scorePoints[k] : 0
            s[row.rawValue] += 1
            s[Self.rows + row.rawValue] += points
            if takeover {
                s[LabelRow.accountTakeover.rawValue] += 1
                s[Self.rows + LabelRow.accountTakeover.rawValue] += points
            }
            score[index] = s
        }
    }

    package mutating func merge(_ other: RuleTally) {
        for (key, counts) in other.decide {
            let target = decide[key] != nil || decide.count < Self.maxDecideRules ? key : "(other)"
            var mine = decide[target] ?? [Int](repeating: 0, count: Self.rows + 1)
            for i in mine.indices { mine[i] += counts[i] }
            decide[target] = mine
        }
        for (index, values) in other.score {
            score[index] = zip(score[index] ?? [Double](repeating: 0, count: 2 * Self.rows), values).map(+)
        }
    }

    /// The counts of each rule of `catalogue` (zero for rules that never matched) and of any other
    /// rule that decided (the lock guard's `account.locked`, `account.banned`, `ip.network_throttled`).
    package func counts(_ catalogue: RuleCatalogue?) -> [String: RuleCounts] {
        var result: [String: RuleCounts] = [:]
        func row(_ values: [Int]) -> LabelCounts {
            LabelCounts(legit: values[0], attack: values[1], accountTakeover: values[2], unknown: values[3])
        }
        for id in catalogue?.decide ?? [] {
            result[id] = RuleCounts(kind: .decide, labels: row(decide[id] ?? [0, 0, 0, 0, 0]), uniqueCatches: decide[id]?[Self.rows] ?? 0)
        }
        for (id, values) in decide where result[id] == nil {
            result[id] = RuleCounts(kind: .decide, labels: row(values), uniqueCatches: values[Self.rows])
        }
        for (i, id) in (catalogue?.score ?? []).enumerated() {
            let values = score[Int32(i)] ?? [Double](repeating: 0, count: 2 * Self.rows)
            let counts = values.prefix(Self.rows).map { Int($0) }
            // A decide rule and a score rule may share an id; the score rule's entry is then `score:ID`.
            let key = result[id] == nil ? id : "score:\(id)"
            result[key] = RuleCounts(kind: .score, labels: row(counts), uniqueCatches: nil,
                                     points: LabelPoints(legit: values[Self.rows], attack: values[Self.rows + 1],
                                                         accountTakeover: values[Self.rows + 2], unknown: values[Self.rows + 3]))
        }
        return result
    }
}

/// Counts of one rule for one decider.
package struct RuleCounts: Sendable {
    package enum Kind: String, Sendable { case decide, score }
    package var kind: Kind
    package var labels: LabelCounts
    package var uniqueCatches: Int?
    package var points: LabelPoints? = nil
}
