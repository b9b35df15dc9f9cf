import Foundation

/// The project's keystroke detector: robust, capped, scaled-Manhattan distance to the nearest enrolled samples.
///
/// Chosen by measurement (docs/typing.md). For features `x`, enrolled samples `s_1…s_n` (the
/// template's ring) and per-feature robust scales `σ_i = max(1.4826 · MAD_i, 2 ms)` (MAD around the
/// per-feature median of the ring):
///
///     d(x, s) = Σ_i min(|x_i − s_i| / σ_i, 3)
///     score(x) = mean of the k smallest d(x, s_j),  k = clamp(n / 5, 1, 5)
///
/// Why each part: the median/MAD scale is not inflated by the occasional hesitation in the
/// enrolment samples (which is what hurts Killourhy–Maxion's scaled Manhattan); the cap of 3
/// robust deviations stops a single slow key from deciding the score; comparing with the nearest
/// samples rather than one centre copes with users who type a field in more than one rhythm
/// (e.g. on two devices).
package enum NeighbourDistance {
    /// Per-feature contribution cap, in robust standard deviations.
    package static let cap = 3.0
    /// MAD to standard deviation under a normal model.
    package static let madToSigma = 1.4826
    /// Smallest per-feature scale (ms): timings come in whole milliseconds, and a tiny MAD from a
    /// few equal values must not make one feature dominate.
    package static let scaleFloor = 2.0
    /// Most neighbours averaged.
    package static let maxNeighbours = 5

    /// Neighbours averaged for a ring of `sampleCount` samples (5 at the protocol's 25).
    package static func neighbours(for sampleCount: Int) -> Int { min(maxNeighbours, max(1, sampleCount / 5)) }

    /// Per-feature median and robust scale of `samples` (all of one length, at least one sample).
    package static func centreAndScale(_ samples: [[Double]]) -> (centre: [Double], scale: [Double]) {
        var centre: [Double] = [], scale: [Double] = [], inverseScale: [Double] = []
        centreAndScale(samples, centre: &centre, scale: &scale, inverseScale: &inverseScale)
        return (centre, scale)
    }

    /// As ``centreAndScale(_:)``, writing into the given arrays (reusing their storage) and also
    /// filling `inverseScale` with `1 / scale`. The only allocation is one scratch buffer for the
    /// transposed samples (on the stack when it fits); the medians are order statistics found by
    /// selection, so they are exactly the values a full sort gives.
    /// - Complexity: O(F · N) expected for F features and N samples.
    package static func centreAndScale(_ samples: [[Double]], centre: inout [Double], scale: inout [Double],
                                       inverseScale: inout [Double]) {
        var deviation: [Double] = []
        centreAndScale(samples, centre: &centre, deviation: &deviation, scale: &scale, inverseScale: &inverseScale)
    }

    /// As ``centreAndScale(_:centre:scale:inverseScale:)``, also filling `deviation` with each
    /// feature's median absolute deviation (the scale before the factor and the floor; see ``scale(deviation:)``).
    ///
    /// With `guessed` set, the incoming `centre` and `deviation` (the statistics before the ring
    /// last changed by a sample or two) are used as guesses: a median within two ranks of its
    /// guess is found in one pass (``median(_:near:)``), the same value selection gives.
    package static func centreAndScale(_ samples: [[Double]], centre: inout [Double], deviation: inout [Double],
                                       scale: inout [Double], inverseScale: inout [Double], guessed: Bool = false) {
        let width = samples.first?.count ?? 0
        let guessed = guessed && centre.count == width && deviation.count == width
        if centre.count != width { centre = [Double](repeating: 0, count: width) }
        if deviation.count != width { deviation = [Double](repeating: 0, count: width) }
        if scale.count != width { scale = [Double](repeating: scaleFloor, count: width) }
        if inverseScale.count != width { inverseScale = [Double](repeating: 0, count: width) }
        guard width > 0 else { return }
        let n = samples.count
        // Transposed once, row by row through buffer pointers: reading `samples[j][i]` column-wise
        // retains and releases a row on every access, which cost more than the medians themselves.
        withUnsafeTemporaryAllocation(of: Double.self, capacity: width * n) { columns in
            for j in 0..<n {
                samples[j].withUnsafeBufferPointer { row in
                    for i in 0..<width { columns[i * n + j] = i < row.count ? row[i] : 0 }
                }
            }
            centre.withUnsafeMutableBufferPointer { centre in
                deviation.withUnsafeMutableBufferPointer { deviation in
                    scale.withUnsafeMutableBufferPointer { scale in
                        inverseScale.withUnsafeMutableBufferPointer { inverseScale in
                            for i in 0..<width {
                                let column = UnsafeMutableBufferPointer(rebasing: columns[(i * n)..<(i * n + n)])
                                // Either way the column may be reordered; the deviations below do not care.
                                let m = guessed ? median(column, near: centre[i]) : median(column)
                                for j in 0..<n { column[j] = abs(column[j] - m) }
                                let mad = guessed ? median(column, near: deviation[i]) : median(column)
                                let s = Self.scale(deviation: mad)
                                centre[i] = m
                                deviation[i] = mad
                                scale[i] = s
                                inverseScale[i] = 1 / s
                            }
                        }
                    }
                }
            }
        }
    }

    /// The robust scale for a feature whose median absolute deviation is `deviation`.
    @inline(__always)
    package static func scale(deviation: Double) -> Double { max(madToSigma * deviation, scaleFloor) }

    /// Capped scaled-Manhattan distance between a sample and one enrolled sample.
    @inline(__always)
    package static func distance(_ x: [Double], _ s: [Double], inverseScale: [Double]) -> Double {
        let n = min(x.count, s.count, inverseScale.count)
        return x.withUnsafeBufferPointer { xp in
            s.withUnsafeBufferPointer { sp in
                inverseScale.withUnsafeBufferPointer { wp in
                    var d = 0.0
                    for i in 0..<n { d += min(abs(xp[i] - sp[i]) * wp[i], cap) }
                    return d
                }
            }
        }
    }

    /// The raw detector score: mean distance to the k nearest of `samples` (higher = less like the user).
    /// Allocation-free: the k best distances live in a stack buffer.
    package static func score(_ x: [Double], samples: [[Double]], inverseScale: [Double]) -> Double {
        let k = neighbours(for: samples.count)
        guard !samples.isEmpty else { return .infinity }
        return withUnsafeTemporaryAllocation(of: Double.self, capacity: k) { buffer in
            var nearest = Nearest(buffer, k: k)
            for s in samples { nearest.offer(distance(x, s, inverseScale: inverseScale)) }
            return nearest.mean
        }
    }

    /// The k smallest distances offered so far, ascending, in a caller's stack buffer (k <= 5).
    private struct Nearest {
        let best: UnsafeMutableBufferPointer<Double>
        let k: Int
        var filled = 0

        init(_ buffer: UnsafeMutableBufferPointer<Double>, k: Int) { best = buffer; self.k = k }

        @inline(__always)
        mutating func offer(_ d: Double) {
            if filled < k {
                best[filled] = d
                filled += 1
            } else if d < best[k - 1] {
                best[k - 1] = d
            } else {
                return
            }
            // Insertion step keeps `best[0..<filled]` ascending.
            var j = filled - 1
            while j > 0, best[j] < best[j - 1] {
                best.swapAt(j, j - 1)
                j -= 1
            }
        }

        /// Mean of the kept distances, summed in ascending order.
        var mean: Double {
            var sum = 0.0
            for j in 0..<filled { sum += best[j] }
            return sum / Double(filled)
        }
    }

    /// As ``score(_:samples:inverseScale:)`` for the samples of a template's ring, read in place.
    ///
    /// The rows are visited by slot rather than by age; the score does not depend on the order
    /// (it is the mean of the k smallest distances, summed in ascending order). Four rows are
    /// measured at once, one to a vector lane: each lane still sums its row's terms feature by
    /// feature in order (so each distance is the same number the scalar loop gives), and the
    /// terms are computed without branches (`|a − b|` by clearing the sign bit, the cap as a
    /// lane-wise minimum; every value is finite).
    package static func score(_ x: UnsafeBufferPointer<Double>, ring: RankedRing, inverseScale: [Double]) -> Double {
        inverseScale.withUnsafeBufferPointer { score(x, ring: ring, inverseScale: $0) }
    }

    /// As ``score(_:ring:inverseScale:)`` with the weights in a buffer.
    package static func score(_ x: UnsafeBufferPointer<Double>, ring: RankedRing,
                              inverseScale w: UnsafeBufferPointer<Double>) -> Double {
        let n = ring.rowCount
        guard n > 0 else { return .infinity }
        let k = neighbours(for: n)
        let width = min(x.count, ring.width, w.count)
        let stride = ring.width
        return ring.values.withUnsafeBufferPointer { values in
            withUnsafeTemporaryAllocation(of: Double.self, capacity: k) { buffer in
                var nearest = Nearest(buffer, k: k)
                // With features to compare, all three buffers have storage.
                guard width > 0, let base = values.baseAddress, let xs = x.baseAddress, let ws = w.baseAddress else {
                    return 0  // no features: every distance is 0
                }
                let caps = SIMD4<Double>(repeating: cap)
                let signless = SIMD4<UInt64>(repeating: ~(1 << 63))  // clears the sign bit: |a|
                var slot = 0
                while slot &+ 4 <= n {
                    let r0 = base + slot &* stride
                    let r1 = r0 + stride, r2 = r1 + stride, r3 = r2 + stride
                    var d = SIMD4<Double>()
                    for i in 0..<width {
                        let xi = SIMD4<Double>(repeating: xs[i])
                        let v = SIMD4<Double>(r0[i], r1[i], r2[i], r3[i])
                        let magnitude = unsafeBitCast(unsafeBitCast(xi - v, to: SIMD4<UInt64>.self) & signless,
                                                      to: SIMD4<Double>.self)
                        d += pointwiseMin(magnitude * SIMD4<Double>(repeating: ws[i]), caps)
                    }
                    nearest.offer(d[0])
                    nearest.offer(d[1])
                    nearest.offer(d[2])
                    nearest.offer(d[3])
                    slot &+= 4
                }
                while slot < n {
                    let r0 = base + slot &* stride
                    var d = 0.0
                    for i in 0..<width { d += min(abs(xs[i] - r0[i]) * ws[i], cap) }
                    nearest.offer(d)
                    slot &+= 1
                }
                return nearest.mean
            }
        }
    }

    /// Width of the 0..1 ramp above the typical genuine score, as a fraction of that score.
    package static let anomalyWidth = 0.5

    /// Maps a raw score to 0..1 given the user's typical genuine score (median of its recent
    /// prequential scores): `r = score / typical`, `anomaly = 0` for `r <= 1`, else
    /// `1 − exp(−((r − 1) / 0.5)²)`. Monotone non-decreasing in the score.
    ///
    /// Calibration (dataset1 and dataset2, docs/typing.md): genuine samples have `r` ≈ 1 at the
    /// median and ≈ 1.25 at the 90th percentile (anomaly ≈ 0.22); impostors have `r` ≈ 1.5 at the
    /// median (anomaly ≈ 0.63) and ≈ 1.75 at the 75th percentile (≈ 0.89).
    package static func anomaly(score: Double, typical: Double) -> Double {
        guard score.isFinite else { return 1 }
        guard typical > 0 else { return score > 0 ? 1 : 0 }
        let x = max(0, score / typical - 1) / anomalyWidth
        return 1 - exp(-x * x)
    }

    /// Median of `values` (reorders them); 0 for an empty array.
    package static func median(_ values: inout [Double]) -> Double {
        values.withUnsafeMutableBufferPointer { median($0) }
    }

    /// Median of `values` (reorders them); 0 when empty. The same value a sort gives: the middle
    /// order statistic, or the mean of the two middle ones, found by selection.
    package static func median(_ values: UnsafeMutableBufferPointer<Double>) -> Double {
        let n = values.count
        guard n > 0 else { return 0 }
        let mid = n / 2
        let upper = select(values, mid)
        guard n % 2 == 0 else { return upper }
        // After selection everything before `mid` is <= values[mid]; the largest of them is the lower middle.
        var lower = values[0]
        for j in 1..<mid { lower = max(lower, values[j]) }
        return (lower + upper) / 2
    }

    /// Median of `values`, exactly as ``median(_:)-(UnsafeMutableBufferPointer<Double>)`` gives it,
    /// found in one pass when the middle order statistics are within two ranks of `guess` (a
    /// median before one sample was added or dropped always is); otherwise by selection.
    ///
    /// The pass counts the values below and equal to `guess` and keeps the two largest below and
    /// the two smallest above it, which are exactly the order statistics next to the guess.
    package static func median(_ values: UnsafeMutableBufferPointer<Double>, near guess: Double) -> Double {
        let n = values.count
        guard n > 0, guess.isFinite else { return median(values) }
        var below = 0, equal = 0
        var max1 = -Double.infinity, max2 = -Double.infinity  // largest and second largest below
        var min1 = Double.infinity, min2 = Double.infinity  // smallest and second smallest above
        for j in 0..<n {
            let v = values[j]
            if v < guess {
                below += 1
                if v > max1 { max2 = max1; max1 = v } else if v > max2 { max2 = v }
            } else if v > guess {
                if v < min1 { min2 = min1; min1 = v } else if v < min2 { min2 = v }
            } else {
                equal += 1
            }
        }
        /// The `k`-th smallest (0-based) when it is next to the guess, else `nil`.
        func orderStatistic(_ k: Int) -> Double? {
            if k >= below && k < below + equal { return guess }
            if k == below - 1 { return max1 }
            if k == below - 2 { return max2 }
            if k == below + equal { return min1 }
            if k == below + equal + 1 { return min2 }
            return nil
        }
        let mid = n / 2
        guard let upper = orderStatistic(mid) else { return median(values) }
        guard n % 2 == 0 else { return upper }
        guard let lower = orderStatistic(mid - 1) else { return median(values) }
        return (lower + upper) / 2
    }

    /// The `k`-th smallest of `a` (Hoare's selection); afterwards `a[..<k]` are <= `a[k]` <= `a[(k+1)...]`.
    /// `a` must not hold NaNs (samples and scores are checked finite).
    static func select(_ a: UnsafeMutableBufferPointer<Double>, _ k: Int) -> Double {
        var lo = 0, hi = a.count - 1
        while lo < hi {
            let mid = lo + (hi - lo) / 2
            if a[mid] < a[lo] { a.swapAt(mid, lo) }
            if a[hi] < a[lo] { a.swapAt(hi, lo) }
            if a[hi] < a[mid] { a.swapAt(hi, mid) }
            let pivot = a[mid]
            var i = lo, j = hi
            while i <= j {
                while a[i] < pivot { i += 1 }
                while a[j] > pivot { j -= 1 }
                if i <= j {
                    a.swapAt(i, j)
                    i += 1
                    j -= 1
                }
            }
            if k <= j {
                hi = j
            } else if k >= i {
                lo = i
            } else {
                return a[k]
            }
        }
        return a[k]
    }
}
