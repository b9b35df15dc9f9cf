import Foundation

/// A keystroke detector as the evaluation sees it: trained on genuine feature vectors, it returns
/// a scorer (higher = less like the user).
package struct KeystrokeDetector: Sendable {
    package var name: String
    package var train: @Sendable (_ training: [[Double]]) -> @Sendable (_ sample: [Double]) -> Double

    package init(name: String, train: @escaping @Sendable ([[Double]]) -> @Sendable ([Double]) -> Double) {
        self.name = name
        self.train = train
    }
}

/// The detectors compared in docs/typing.md: two classic baselines, the project's detector, and
/// the other candidates it was chosen from.
package enum KeystrokeDetectors {
    /// The project's detector, trained exactly as in production: each training vector learned
    /// online into a ``TypingTemplate``, then scored by it (raw score).
    package static let project = KeystrokeDetector(name: "robust k-NN (project)") { training in
        let template = onlineTemplate(training)
        return { template.rawScore($0) ?? .infinity }
    }

    /// The project's detector through its 0..1 anomaly mapping (ties at 0 below the typical score).
    package static let projectAnomaly = KeystrokeDetector(name: "robust k-NN anomaly 0..1") { training in
        let template = onlineTemplate(training)
        return { template.anomaly($0) ?? 1 }
    }

    /// Killourhy & Maxion (2009) scaled Manhattan: Σ |x_i − mean_i| / meanAbsDev_i, the deviation
    /// being the mean absolute deviation of the training values from their mean.
    package static let scaledManhattan = KeystrokeDetector(name: "scaled Manhattan (K&M)") { training in
        let m = mean(training)
        let a = training.isEmpty ? m : (0..<m.count).map { i in training.map { abs($0[i] - m[i]) }.reduce(0, +) / Double(training.count) }
        let inv = a.map { $0 > 0 ? 1 / $0 : 1e12 }
        return { x in var s = 0.0; for i in x.indices { s += abs(x[i] - m[i]) * inv[i] }; return s }
    }

    /// Killourhy & Maxion (2009) outlier count (z-score): the number of features with |z| > 1.96,
    /// z from the training mean and (sample) standard deviation.
    package static let outlierCount = KeystrokeDetector(name: "outlier count (K&M)") { training in
        let m = mean(training)
        let sd = standardDeviation(training, mean: m)
        return { x in
            var n = 0
            for i in x.indices where abs(x[i] - m[i]) > 1.96 * sd[i] { n += 1 }
            return Double(n)
        }
    }

    /// Plain Manhattan distance to the training mean (K&M's "Manhattan").
    package static let manhattan = KeystrokeDetector(name: "Manhattan (K&M)") { training in
        let m = mean(training)
        return { x in var s = 0.0; for i in x.indices { s += abs(x[i] - m[i]) }; return s }
    }

    /// Scaled Manhattan on log-timings (features with a non-positive value stay linear).
    package static let logScaledManhattan = KeystrokeDetector(name: "scaled Manhattan, log features") { training in
        let usable = (0..<(training.first?.count ?? 0)).map { i in training.allSatisfy { $0[i] > 0 } }
        let transform: @Sendable ([Double]) -> [Double] = { x in x.indices.map { usable[$0] && x[$0] > 0 ? log(x[$0]) : x[$0] } }
        let inner = scaledManhattan.train(training.map(transform))
        return { inner(transform($0)) }
    }

    /// Mahalanobis distance with the covariance shrunk towards its diagonal: (1 − λ)·C + λ·diag(C).
    /// (Plain Mahalanobis is singular here: up-down = down-down − previous hold.)
    package static func mahalanobis(shrinkage lambda: Double) -> KeystrokeDetector {
        KeystrokeDetector(name: "Mahalanobis, shrinkage \(lambda)") { training in
            let m = mean(training)
            let f = m.count
            var c = [Double](repeating: 0, count: f * f)
            for x in training {
                for i in 0..<f { for j in 0...i { c[i * f + j] += (x[i] - m[i]) * (x[j] - m[j]) } }
            }
            let denominator = Double(max(training.count - 1, 1))
            for i in 0..<f {
                for j in 0...i {
                    let v = c[i * f + j] / denominator
                    c[i * f + j] = i == j ? max(v, 1e-6) : (1 - lambda) * v
                }
            }
            let l = cholesky(c, size: f)
            return { x in
                // Solve L y = x − m; the distance is |y|².
                var y = [Double](repeating: 0, count: f)
                var sum = 0.0
                for i in 0..<f {
                    var v = x[i] - m[i]
                    for j in 0..<i { v -= l[i * f + j] * y[j] }
                    y[i] = v / l[i * f + i]
                    sum += y[i] * y[i]
                }
                return sum
            }
        }
    }

    /// Distance to one robust centre: Σ min(|x_i − median_i| / σ_i, 3) with the project's scale.
    package static let robustCentroid = KeystrokeDetector(name: "robust scaled Manhattan, capped") { training in
        let (centre, scale) = NeighbourDistance.centreAndScale(training)
        let inv = scale.map { 1 / $0 }
        return { NeighbourDistance.distance($0, centre, inverseScale: inv) }
    }

    /// Robust scaled Manhattan without the cap (median/MAD only).
    package static let robustUncapped = KeystrokeDetector(name: "robust scaled Manhattan, no cap") { training in
        let (centre, scale) = NeighbourDistance.centreAndScale(training)
        return { x in var s = 0.0; for i in x.indices { s += abs(x[i] - centre[i]) / scale[i] }; return s }
    }

    /// Score fusion: the mean of the robust centre distance and the project's neighbour score.
    package static let fusion = KeystrokeDetector(name: "fusion: robust centre + k-NN") { training in
        let centre = robustCentroid.train(training)
        let neighbours = project.train(training)
        return { 0.5 * centre($0) + 0.5 * neighbours($0) }
    }

    /// Every detector of the comparison table, baselines first.
    package static let all: [KeystrokeDetector] = [
        scaledManhattan, outlierCount, manhattan, logScaledManhattan,
        mahalanobis(shrinkage: 0.3), mahalanobis(shrinkage: 1.0),
        robustUncapped, robustCentroid, fusion, project, projectAnomaly,
    ]

    /// A template learned online from `training`, in order (length inferred from the width 3n − 2).
    package static func onlineTemplate(_ training: [[Double]]) -> TypingTemplate {
        let width = training.first?.count ?? 1
        var template = TypingTemplate(field: "evaluation", length: (width + 2) / 3)
        for x in training { template.learn(x) }
        return template
    }

    static func mean(_ rows: [[Double]]) -> [Double] {
        guard let width = rows.first?.count else { return [] }
        var m = [Double](repeating: 0, count: width)
        for x in rows { for i in 0..<width { m[i] += x[i] } }
        return m.map { $0 / Double(rows.count) }
    }

    static func standardDeviation(_ rows: [[Double]], mean m: [Double]) -> [Double] {
        var v = [Double](repeating: 0, count: m.count)
        for x in rows { for i in m.indices { v[i] += (x[i] - m[i]) * (x[i] - m[i]) } }
        return v.map { ($0 / Double(max(rows.count - 1, 1))).squareRoot() }
    }

    /// Lower-triangular Cholesky factor of a symmetric positive-definite matrix (lower half used);
    /// a non-positive pivot is replaced by a tiny one so a near-singular matrix still factors.
    static func cholesky(_ a: [Double], size f: Int) -> [Double] {
        var l = [Double](repeating: 0, count: f * f)
        for i in 0..<f {
            for j in 0...i {
                var s = a[i * f + j]
                for k in 0..<j { s -= l[i * f + k] * l[j * f + k] }
                if i == j {
                    l[i * f + i] = s > 1e-9 ? s.squareRoot() : 1e-4
                } else {
                    l[i * f + j] = s / l[j * f + j]
                }
            }
        }
        return l
    }
}
