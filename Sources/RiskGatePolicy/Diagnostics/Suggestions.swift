/// "Did you mean" suggestions by edit distance.
package enum Suggestions {
    /// The candidate closest to `name`, if it is close enough to be a likely typo.
    package static func closest<S: Sequence>(to name: String, in candidates: S) -> String? where S.Element == String {
        let limit = max(1, min(3, name.count / 3 + 1))
        var best: (String, Int)? = nil
        for candidate in candidates {
            let d = distance(name, candidate, limit: limit)
            if d <= limit, best == nil || d < best!.1 || (d == best!.1 && candidate < best!.0) {
                best = (candidate, d)
            }
        }
        if let best { return best.0 }
        // A truncated name (`geo.velocity` for `geo.velocity_kmh`).
        guard name.count >= 3 else { return nil }
        return candidates.filter { $0.hasPrefix(name) }.min { $0.count < $1.count }
    }

    /// "did you mean `x`?" or `nil`.
    package static func didYouMean<S: Sequence>(_ name: String, in candidates: S) -> String? where S.Element == String {
        closest(to: name, in: candidates).map(didYouMean)
    }

    /// "did you mean `suggestion`?", for a suggestion already found with ``closest(to:in:)``.
    package static func didYouMean(_ suggestion: String) -> String { "did you mean `\(suggestion)`?" }

    /// Damerau–Levenshtein (optimal string alignment) distance, giving up above `limit`.
    package static func distance(_ a: String, _ b: String, limit: Int = .max) -> Int {
        let x = Array(a.unicodeScalars), y = Array(b.unicodeScalars)
        if abs(x.count - y.count) > limit { return limit + 1 }
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        var previous2 = [Int](repeating: 0, count: y.count + 1)
        var previous = Array(0...y.count)
        var current = [Int](repeating: 0, count: y.count + 1)
        for i in 1...x.count {
            current[0] = i
            var rowMin = current[0]
            for j in 1...y.count {
                let cost = x[i - 1] == y[j - 1] ? 0 : 1
                var v = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, x[i - 1] == y[j - 2], x[i - 2] == y[j - 1] {
                    v = min(v, previous2[j - 2] + 1)
                }
                current[j] = v
                rowMin = min(rowMin, v)
            }
            if rowMin > limit { return limit + 1 }
            (previous2, previous, current) = (previous, current, previous2)
        }
        return previous[y.count]
    }
}
