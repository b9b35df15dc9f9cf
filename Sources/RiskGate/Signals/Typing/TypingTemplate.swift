/// A user's keystroke-timing template for one field and one sequence length.
///
/// Learned online, one accepted sample at a time, in bounded memory: the last ``capacity`` feature
/// vectors (timings only, never key identities) and the detector's scores of the last ``capacity``
/// accepted samples, each scored against the template as it was just before that sample was
/// learned ("prequential" genuine scores, which calibrate the 0..1 anomaly per user). The robust
/// centre and scale the detector needs are recomputed from the ring on every update, so they are
/// always exactly the batch statistics of the samples the template holds; the recomputation
/// selects the medians in a stack buffer and writes into the cached arrays, so it allocates
/// nothing (O(F · N) per update rather than sorting every column).
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

    /// Feature vectors of the most recent accepted samples, oldest first (at most ``capacity``).
    package private(set) var samples: [[Double]]
    /// Prequential scores of the most recent accepted samples, oldest first (at most ``capacity``).
    package private(set) var genuineScores: [Double]

    // Derived from the two rings (not persisted; recomputed on decode).
    /// Per-feature median of ``samples``.
    package private(set) var centre: [Double]
    /// Per-feature median absolute deviation of ``samples`` (``scale`` before its factor and floor).
    package private(set) var deviation: [Double]
    /// Per-feature robust scale of ``samples`` (see ``NeighbourDistance``).
    package private(set) var scale: [Double]
    private var inverseScale: [Double]
    /// Median of ``genuineScores``, floored: the raw score of a typical genuine sample.
    package private(set) var typicalScore: Double

    /// An empty template for `field` and sequences of `length` keys.
    public init(field: String, length: Int) {
        self.field = field
        self.length = length
        count = 0
        samples = []
        genuineScores = []
        centre = []
        deviation = []
        scale = []
        inverseScale = []
        typicalScore = 0
    }

    /// A template rebuilt from its stored rings and the derived statistics stored with them (the
    /// binary state codec keeps them so a decode does not redo the medians); `nil` when the parts
    /// do not form a template or the statistics are not finite, non-negative and of the right width.
    ///
    /// The statistics are trusted to be the ones ``learn(_:)`` computed for these rings.
    package init?(field: String, length: Int, count: Int, samples: [[Double]], genuineScores: [Double],
                  centre: [Double], deviation: [Double], typicalScore: Double) {
        self.field = field
        self.length = length
        self.count = count
        self.samples = samples
        self.genuineScores = genuineScores
        self.centre = centre
        self.deviation = deviation
        self.typicalScore = typicalScore
        scale = []
        inverseScale = []
        guard Self.problem(length: length, count: count, samples: samples, genuineScores: genuineScores) == nil else { return nil }
        let width = samples.isEmpty ? 0 : TypingTemplate.featureCount(length)
        guard centre.count == width, deviation.count == width, centre.allSatisfy(\.isFinite),
              deviation.allSatisfy({ $0.isFinite && $0 >= 0 }), typicalScore.isFinite, typicalScore >= 0
        else { return nil }
        scale = deviation.map { NeighbourDistance.scale(deviation: $0) }
        inverseScale = scale.map { 1 / $0 }
    }

    private static func featureCount(_ length: Int) -> Int { TypingFeatures.count(keys: length) }

    /// What is wrong with stored template parts, or `nil` when they are consistent.
    private static func problem(length: Int, count: Int, samples: [[Double]], genuineScores: [Double]) -> CodingKeys? {
        guard (1...TypingFeatures.maxKeys).contains(length) else { return .length }
        let width = TypingFeatures.count(keys: length)
        guard samples.count <= capacity, samples.allSatisfy({ $0.count == width && $0.allSatisfy(\.isFinite) }) else { return .samples }
        guard genuineScores.count <= capacity, genuineScores.allSatisfy({ $0.isFinite && $0 >= 0 }) else { return .genuineScores }
        guard count >= samples.count else { return .count }
        return nil
    }

    /// Features per sample of this template.
    package var featureCount: Int { TypingFeatures.count(keys: length) }

    /// Whether the detector can score samples against this template.
    package var canScore: Bool { samples.count >= Self.minimumSamples && !genuineScores.isEmpty }

    /// Learns one accepted sample's features; returns `false` (template unchanged) when they do not fit.
    /// - Complexity: O(F · N) expected for F features and N ≤ ``capacity`` samples (the medians).
    @discardableResult
    package mutating func learn(_ features: [Double]) -> Bool {
        guard features.count == featureCount, features.allSatisfy(\.isFinite) else { return false }
        if samples.count >= Self.minimumSamples - 1 {
            append(NeighbourDistance.score(features, samples: samples, inverseScale: inverseScale), to: &genuineScores)
        }
        append(features, to: &samples)
        count += 1
        recompute()
        return true
    }

    /// The detector's raw score for `features` (higher = less like this user), `nil` when not comparable.
    package func rawScore(_ features: [Double]) -> Double? {
        guard canScore, features.count == featureCount else { return nil }
        return NeighbourDistance.score(features, samples: samples, inverseScale: inverseScale)
    }

    /// The anomaly in 0..1 for `features`, `nil` when not comparable.
    package func anomaly(_ features: [Double]) -> Double? {
        rawScore(features).map { NeighbourDistance.anomaly(score: $0, typical: typicalScore) }
    }

    private func append<T>(_ value: T, to ring: inout [T]) {
        if ring.count >= Self.capacity { ring.removeFirst(ring.count - Self.capacity + 1) }
        ring.append(value)
    }

    private mutating func recompute() {
        // The statistics before this sample are close to the new ones: a guess that makes the medians one pass each.
        NeighbourDistance.centreAndScale(samples, centre: &centre, deviation: &deviation, scale: &scale, inverseScale: &inverseScale,
                                         guessed: true)
        // A floor of 0.1 robust deviations a feature, so a user whose samples were (nearly)
        // identical does not turn every later difference into anomaly 1.
        let typical = withUnsafeTemporaryAllocation(of: Double.self, capacity: genuineScores.count) { scores in
            for j in genuineScores.indices { scores[j] = genuineScores[j] }
            return NeighbourDistance.median(scores)
        }
        typicalScore = max(typical, 0.1 * Double(featureCount))
    }

    enum CodingKeys: String, CodingKey {
        case field, length, count, samples
        case genuineScores = "genuine_scores"
    }

    /// Decodes a persisted template, checking it (a corrupt one is an error, never a crash) and
    /// recomputing the derived statistics.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        field = try c.decode(String.self, forKey: .field)
        length = try c.decode(Int.self, forKey: .length)
        count = try c.decode(Int.self, forKey: .count)
        samples = try c.decode([[Double]].self, forKey: .samples)
        genuineScores = try c.decode([Double].self, forKey: .genuineScores)
        centre = []
        deviation = []
        scale = []
        inverseScale = []
        typicalScore = 0
        guard (1...TypingFeatures.maxKeys).contains(length) else {
            throw DecodingError.dataCorruptedError(forKey: .length, in: c, debugDescription: "typing template length `\(length)` out of range")
        }
        guard samples.count <= Self.capacity, samples.allSatisfy({ $0.count == featureCount && $0.allSatisfy(\.isFinite) }) else {
            throw DecodingError.dataCorruptedError(forKey: .samples, in: c, debugDescription: "typing template samples do not match length `\(length)`")
        }
        guard genuineScores.count <= Self.capacity, genuineScores.allSatisfy({ $0.isFinite && $0 >= 0 }) else {
            throw DecodingError.dataCorruptedError(forKey: .genuineScores, in: c, debugDescription: "typing template genuine scores are invalid")
        }
        guard count >= samples.count else {
            throw DecodingError.dataCorruptedError(forKey: .count, in: c, debugDescription: "typing template count `\(count)` below its samples")
        }
        recompute()
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
