import RiskGatePolicy

/// Timing features of one typed sequence, from key down/up times only (docs/signals.md).
///
/// Layout for `n` keys: `n` hold times (up − down), then `n − 1` down-down latencies (down of key
/// `i` − down of key `i − 1`), then `n − 1` up-down latencies (down of key `i` − up of key `i − 1`;
/// negative when the keys overlap). This is the column order of the public touch data set
/// (`dataset1_features`: 14 hold, 13 DD, 13 UD), so the detector is measured on exactly what it sees.
package enum TypingFeatures {
    /// Longest sequence accepted; longer input is not a typed field (and would make templates large).
    package static let maxKeys = 128
    /// Longest time span of one sample (1 h in ms); beyond this the clock values are not typing.
    package static let maxSpanMilliseconds = 3_600_000.0

    /// Number of features for a sequence of `keys` keys.
    package static func count(keys: Int) -> Int { keys <= 0 ? 0 : 3 * keys - 2 }

    /// The features, or `nil` when the sample is unusable: empty or longer than ``maxKeys``,
    /// a time that is not finite or negative, a key released before it was pressed, a key pressed
    /// before the previous one, or a span longer than ``maxSpanMilliseconds``.
    package static func extract(_ keys: [RequestContext.Typing.Key]) -> [Double]? {
        let n = keys.count
        guard n > 0, n <= maxKeys else { return nil }
        var out = [Double](repeating: 0, count: count(keys: n))
        var previous: RequestContext.Typing.Key?
        var lastUp = 0.0
        for (i, key) in keys.enumerated() {
            guard key.down.isFinite, key.up.isFinite, key.down >= 0, key.up >= key.down else { return nil }
            out[i] = key.up - key.down
            if let previous {
                guard key.down >= previous.down else { return nil }
                out[n + i - 1] = key.down - previous.down
                out[2 * n + i - 2] = key.down - previous.up
            }
            previous = key
            lastUp = max(lastUp, key.up)
        }
        guard lastUp - keys[0].down <= maxSpanMilliseconds else { return nil }
        return out
    }
}
