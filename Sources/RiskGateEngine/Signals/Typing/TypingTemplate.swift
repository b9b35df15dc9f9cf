/// A user's keystroke-timing template for one field and one sequence length.
///
/// Learned online, one accepted sample at a time, in bounded memory: the last ``capacity`` feature
/// vectors (timings only, never key identities) and the detector's scores of the last ``capacity``
/// accepted samples, each scored against the template as it was just before that sample was
/// learned ("prequential" genuine scores, which calibrate the 0..1 anomaly per user). The robust
/// centre and scale the detector needs are always exactly the batch statistics of the samples the
/// template holds: both rings keep every column in sorted order as they change (``RankedRing``),
/// so after each update a median is one read and a median absolute deviation a binary search
/// (O(F · log N) for F features and N samples, plus a short shift a column). They are read when a
/// score needs them, not kept: a replay encodes most states right after learning, so statistics
/// kept up to date would mostly be thrown away.
public struct TypingTemplate: Sendable, Hashable, Codable {
    /// Most samples (and genuine scores) kept; older ones are forgotten, so the template follows
    /// slow drift in how the user types.
    public static let capacity = 50
    /// Fewest samples for which the detector gives a score (the robust scale needs three).
    public static let minimumSamples = 3

    /// The input field, e.g. `password`.
    public let field: String
    /// Number of keys in the sequences this template covers.
    public let length: Int
    /// Accepted samples learned so far (including ones the ring has since forgotten).
    public internal(set) var count: Int

    /// Feature vectors of the most recent accepted samples, with each feature's sorted order.
    package private(set) var ring: RankedRing
    /// Prequential scores of the most recent accepted samples (a ring one number wide).
    package private(set) var scores: RankedRing

    /// An empty template for `field` and sequences of `length` keys.
    public init(field: String, length: Int) {
        self.field = field
        self.length = length
        count = 0
        ring = RankedRing(width: TypingFeatures.count(keys: length), capacity: Self.capacity)
        scores = RankedRing(width: 1, capacity: Self.capacity)
    }

    /// A template rebuilt from its stored rings (the binary state codec keeps each column in
    /// sorted order, so nothing is sorted here); `nil` when the parts do not form a template.
    package init?(field: String, length: Int, count: Int, ring: RankedRing, scores: RankedRing) {
        self.field = field
        self.length = length
        self.count = count
        self.ring = ring
        self.scores = scores
        guard (1...TypingFeatures.maxKeys).contains(length), ring.width == TypingFeatures.count(keys: length),
              ring.capacity == Self.capacity, scores.width == 1, scores.capacity == Self.capacity,
              scores.values.allSatisfy({ $0 >= 0 }), count >= ring.rowCount
        else { return nil }
    }

    /// A template rebuilt from its rings as rows, oldest first (the JSON form and the codec's first
    /// version); `nil` when they do not form a template.
    package init?(field: String, length: Int, count: Int, samples: [[Double]], genuineScores: [Double]) {
        guard (1...TypingFeatures.maxKeys).contains(length),
              genuineScores.allSatisfy({ $0.isFinite && $0 >= 0 }),
              let ring = RankedRing(width: TypingFeatures.count(keys: length), capacity: Self.capacity, rows: samples),
              let scores = RankedRing(width: 1, capacity: Self.capacity, rows: genuineScores.map { [$0] })
        else { return nil }
        self.init(field: field, length: length, count: count, ring: ring, scores: scores)
    }

    /// Features per sample of this template.
    package var featureCount: Int { TypingFeatures.count(keys: length) }

    /// Whether the detector can score samples against this template.
    package var canScore: Bool { ring.rowCount >= Self.minimumSamples && scores.rowCount > 0 }

    /// Feature vectors of the most recent accepted samples, oldest first (at most ``capacity``; allocates).
    package var samples: [[Double]] { ring.rows }
    /// Prequential scores of the most recent accepted samples, oldest first (at most ``capacity``; allocates).
    package var genuineScores: [Double] { scores.rows.map { $0[0] } }
    /// Per-feature median of ``samples`` (computed on each call).
    package var centre: [Double] { (0..<ring.width).map { ring.median(column: $0) } }
    /// Per-feature median absolute deviation of ``samples`` (``scale`` before its factor and floor).
    package var deviation: [Double] {
        (0..<ring.width).map { ring.medianAbsoluteDeviation(column: $0, centre: ring.median(column: $0)) }
    }
    /// Per-feature robust scale of ``samples`` (see ``NeighbourDistance``).
    package var scale: [Double] { deviation.map { NeighbourDistance.scale(deviation: $0) } }

    /// Learns one accepted sample's features; returns `false` (template unchanged) when they do not fit.
    ///
    /// `knownScore`, when given, must be ``prequentialScore(_:)`` of `features` against the
    /// template as it is now (the decision just computed it); it is recorded instead of computing
    /// the distance again.
    /// - Complexity: O(F · N) for F features and N ≤ ``capacity`` samples (the prequential score).
    @discardableResult
    package mutating func learn(_ features: [Double], knownScore: Double? = nil) -> Bool {
        guard features.count == featureCount, features.allSatisfy(\.isFinite) else { return false }
        if ring.rowCount >= Self.minimumSamples - 1, let score = knownScore ?? prequentialScore(features) {
            withUnsafePointer(to: score) { scores.append(UnsafeBufferPointer(start: $0, count: 1)) }
        }
        features.withUnsafeBufferPointer { ring.append($0) }
        count += 1
        return true
    }

    /// The distance of `features` to this template that learning them records as their
    /// prequential score, `nil` while the template holds too few samples to record one.
    package func prequentialScore(_ features: [Double]) -> Double? {
        guard ring.rowCount >= Self.minimumSamples - 1, features.count == featureCount else { return nil }
        return Self.distance(features, to: ring)
    }

    /// The score of `features` against `ring`, weighted by `1 /` each feature's robust scale
    /// (computed for the call from the sorted columns). Static, so its closures capture the ring
    /// rather than copying the whole template (retaining each of its arrays) to call them.
    private static func distance(_ features: [Double], to ring: RankedRing) -> Double {
        features.withUnsafeBufferPointer { x in
            withUnsafeTemporaryAllocation(of: Double.self, capacity: ring.width) { inverse in
                fillInverseScale(of: ring, into: inverse)
                return NeighbourDistance.score(x, ring: ring, inverseScale: UnsafeBufferPointer(inverse))
            }
        }
    }

    /// The detector's raw score for `features` (higher = less like this user), `nil` when not comparable.
    package func rawScore(_ features: [Double]) -> Double? {
        guard canScore else { return nil }
        return prequentialScore(features)
    }

    /// The anomaly in 0..1 for `features`, `nil` when not comparable.
    package func anomaly(_ features: [Double]) -> Double? {
        rawScore(features).map(anomaly(distance:))
    }

    /// The anomaly in 0..1 of a sample at `distance` (its ``rawScore(_:)``) from this template.
    package func anomaly(distance: Double) -> Double {
        NeighbourDistance.anomaly(score: distance, typical: typicalScore)
    }

    /// Median of the genuine scores, floored: the raw score of a typical genuine sample (one or
    /// two reads of the sorted score ring). The floor of 0.1 robust deviations a feature keeps a
    /// user whose samples were (nearly) identical from turning every later difference into anomaly 1.
    package var typicalScore: Double {
        ring.rowCount > 0 ? max(scores.median(column: 0), 0.1 * Double(featureCount)) : 0
    }

    /// Writes `1 / scale` of each feature of `ring` into `inverse` (at least `ring.width` long;
    /// nothing when the ring is empty).
    private static func fillInverseScale(of ring: RankedRing, into inverse: UnsafeMutableBufferPointer<Double>) {
        let width = ring.rowCount > 0 ? ring.width : 0
        ring.withColumns { columns in
            for i in 0..<width {
                let mad = columns.medianAbsoluteDeviation(i, centre: columns.median(i))
                inverse[i] = 1 / NeighbourDistance.scale(deviation: mad)
            }
        }
    }

    enum CodingKeys: String, CodingKey {
        case field, length, count, samples
        case genuineScores = "genuine_scores"
    }

    /// Decodes a persisted template, checking it (a corrupt one is an error, never a crash) and
    /// rebuilding each ring's sorted order.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let field = try c.decode(String.self, forKey: .field)
        let length = try c.decode(Int.self, forKey: .length)
        let count = try c.decode(Int.self, forKey: .count)
        let samples = try c.decode([[Double]].self, forKey: .samples)
        let genuineScores = try c.decode([Double].self, forKey: .genuineScores)
        guard (1...TypingFeatures.maxKeys).contains(length) else {
            throw DecodingError.dataCorruptedError(forKey: .length, in: c, debugDescription: "typing template length `\(length)` out of range")
        }
        let width = TypingFeatures.count(keys: length)
        guard samples.count <= Self.capacity, samples.allSatisfy({ $0.count == width && $0.allSatisfy(\.isFinite) }) else {
            throw DecodingError.dataCorruptedError(forKey: .samples, in: c, debugDescription: "typing template samples do not match length `\(length)`")
        }
        guard genuineScores.count <= Self.capacity, genuineScores.allSatisfy({ $0.isFinite && $0 >= 0 }) else {
            throw DecodingError.dataCorruptedError(forKey: .genuineScores, in: c, debugDescription: "typing template genuine scores are invalid")
        }
        guard count >= samples.count,
              let template = TypingTemplate(field: field, length: length, count: count, samples: samples, genuineScores: genuineScores)
        else {
            throw DecodingError.dataCorruptedError(forKey: .count, in: c, debugDescription: "typing template count `\(count)` below its samples")
        }
        self = template
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(field, forKey: .field)
        try c.encode(length, forKey: .length)
        try c.encode(count, forKey: .count)
        try c.encode(samples, forKey: .samples)
        try c.encode(genuineScores, forKey: .genuineScores)
    }
}
