/// Exact score statistics from counts: scores are bucketed at 0.01 resolution (10,001 bins over
/// 0...100), so the Mann–Whitney AUC and the ROC curve need no per-event storage and are exact
/// for scores at that resolution, whatever the number of events.
///
/// (Another helper may add `Scoring/ROC.swift`; this one works on bucket counts, which replay
/// needs for bounded memory. The lead may merge the two.)
package enum ScoreBuckets {
    /// Buckets per class: scores 0.00, 0.01, ..., 100.00.
    package static let count = 10_001

    /// The bucket of `score`: rounded to 0.01; below 0 and NaN count as 0, above 100 as 100.
    @inline(__always)
    package static func index(of score: Double) -> Int {
        guard score > 0 else { return 0 }
        guard score < 100 else { return count - 1 }
        return Int((score * 100).rounded())
    }

    /// The score a bucket stands for.
    package static func score(ofBucket index: Int) -> Double { Double(index) / 100 }

    /// Mann–Whitney AUC: the chance that a random positive scores above a random negative, ties
    /// counted half; `nil` when either class is empty.
    ///
    /// - Complexity: O(buckets). Exact while positives × negatives < 2^62.
    package static func auc(positives: ArraySlice<Int>, negatives: ArraySlice<Int>) -> Double? {
        let p = positives.reduce(0, +)
        let n = negatives.reduce(0, +)
        guard p > 0, n > 0, positives.count == negatives.count else { return nil }
        var below = 0
        var twiceU = 0
        for (pos, neg) in zip(positives, negatives) {
            twiceU += pos * (2 * below + neg)
            below += neg
        }
        return Double(twiceU) / (2 * Double(p) * Double(n))
    }

    /// ROC points for flagging `score >= threshold`, threshold descending, from (0,0) to (1,1),
    /// one per occupied bucket, evenly thinned to at most `maxPoints` (ends kept); empty when a class is empty.
    package static func roc(positives: ArraySlice<Int>, negatives: ArraySlice<Int>, maxPoints: Int = 200) -> [ROCPoint] {
        let p = positives.reduce(0, +)
        let n = negatives.reduce(0, +)
        guard p > 0, n > 0, positives.count == negatives.count else { return [] }
        var points = [ROCPoint(threshold: nil, fpr: 0, tpr: 0)]
        var truePositives = 0
        var falsePositives = 0
        let pb = Array(positives)
        let nb = Array(negatives)
        for index in stride(from: pb.count - 1, through: 0, by: -1) where pb[index] + nb[index] > 0 {
            truePositives += pb[index]
            falsePositives += nb[index]
            points.append(ROCPoint(threshold: score(ofBucket: index),
                                   fpr: Double(falsePositives) / Double(n), tpr: Double(truePositives) / Double(p)))
        }
        return thin(points, to: maxPoints)
    }

    /// Keeps the first and last point and evenly spaced ones between, `limit` in all.
    package static func thin<T>(_ points: [T], to limit: Int) -> [T] {
        guard points.count > limit, limit >= 2 else { return points }
        let last = points.count - 1
        return (0..<limit).map { k in points[Int((Double(k) * Double(last) / Double(limit - 1)).rounded())] }
    }

    /// Regroups fine buckets into `bins` equal-width bins over 0...100 (the last also holds 100).
    package static func coarse(_ fine: ArraySlice<Int>, bins: Int) -> [Int] {
        var result = [Int](repeating: 0, count: bins)
        let perBin = (count - 1) / bins
        for (offset, value) in fine.enumerated() where value > 0 {
            result[min(offset / perBin, bins - 1)] += value
        }
        return result
    }
}
