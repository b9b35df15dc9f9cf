/// Area under the ROC curve, shared by the model's evaluation and the replay report.
package enum ROC {
    /// The probability that a random positive scores above a random negative, ties counting half
    /// (the Mann–Whitney U statistic over `positives.count · negatives.count`).
    ///
    /// NaN scores rank below every number. Returns nil when either class is empty.
    ///
    /// - Complexity: O(n log n) for n scores.
    package static func auc(positives: [Double], negatives: [Double]) -> Double? {
        guard !positives.isEmpty, !negatives.isEmpty else { return nil }
        var scored: [(score: Double, positive: Bool)] = []
        scored.reserveCapacity(positives.count + negatives.count)
        for s in positives { scored.append((s.isNaN ? -.infinity : s, true)) }
        for s in negatives { scored.append((s.isNaN ? -.infinity : s, false)) }
        scored.sort { $0.score < $1.score }
        var negativesBelow = 0.0
        var wins = 0.0
        var index = 0
        while index < scored.count {
            var end = index
            var tiedPositives = 0.0, tiedNegatives = 0.0
            while end < scored.count, scored[end].score == scored[index].score {
                if scored[end].positive { tiedPositives += 1 } else { tiedNegatives += 1 }
                end += 1
            }
            wins += tiedPositives * negativesBelow + 0.5 * tiedPositives * tiedNegatives
            negativesBelow += tiedNegatives
            index = end
        }
        return wins / (Double(positives.count) * Double(negatives.count))
    }
}
