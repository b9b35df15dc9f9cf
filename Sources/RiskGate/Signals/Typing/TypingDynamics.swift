/// Keystroke-dynamics signals: features from raw timings, per-user templates, an anomaly in 0..1.
///
/// Requests carry key down/up times only, never key identities (SPEC §3).
public enum TypingDynamics {
    /// What the typing signals say about one sample.
    public struct Assessment: Sendable, Hashable {
        /// A usable sample was supplied.
        public var present: Bool
        /// The user has a template for this field and length with enough samples.
        public var enrolled: Bool
        /// 0 for a typical sample of this user, towards 1 for an unlike one; `nil` when not comparable.
        public var anomaly: Double?
    }

    /// Timing features of a sample: hold times, then down-down, then up-down latencies (ms).
    /// `nil` when the sample is unusable (empty, non-finite, negative holds, keys out of order).
    public static func features(_ keys: [RequestContext.Typing.Key]) -> [Double]? {
        guard !keys.isEmpty, keys.count <= 512 else { return nil }
        var holds: [Double] = []
        var downDown: [Double] = []
        var upDown: [Double] = []
        for (i, key) in keys.enumerated() {
            guard key.down.isFinite, key.up.isFinite, key.down >= 0, key.up >= key.down else { return nil }
            holds.append(key.up - key.down)
            if i > 0 {
                let previous = keys[i - 1]
                guard key.down >= previous.down else { return nil }
                downDown.append(key.down - previous.down)
                upDown.append(key.down - previous.up)
            }
        }
        return holds + downDown + upDown
    }

    /// Assesses a sample against the user's templates.
    public static func assess(_ sample: RequestContext.Typing?, templates: [TypingTemplate], minEnrollment: Int) -> Assessment {
        guard let sample, let features = features(sample.keys) else {
            return Assessment(present: false, enrolled: false, anomaly: nil)
        }
        guard let template = templates.first(where: { $0.field == sample.field && $0.length == sample.keys.count }),
              template.count >= max(1, minEnrollment)
        else { return Assessment(present: true, enrolled: false, anomaly: nil) }
        return Assessment(present: true, enrolled: true, anomaly: anomaly(features, template: template))
    }

    /// Scaled Manhattan distance to the template, squashed into 0..1.
    static func anomaly(_ features: [Double], template: TypingTemplate) -> Double {
        guard features.count == template.mean.count, template.count > 1 else { return 0 }
        var distance = 0.0
        for i in features.indices {
            let sd = (template.m2[i] / Double(template.count - 1)).squareRoot()
            distance += abs(features[i] - template.mean[i]) / max(sd, 1)
        }
        let perFeature = distance / Double(features.count)
        return perFeature / (perFeature + 1.5)
    }

    /// Learns an accepted sample into the user's template for its field and length (Welford's online update).
    public static func learn(_ sample: RequestContext.Typing, into templates: inout [TypingTemplate]) {
        guard let features = features(sample.keys) else { return }
        let index: Int
        if let existing = templates.firstIndex(where: { $0.field == sample.field && $0.length == sample.keys.count }) {
            index = existing
        } else {
            guard templates.count < 8 else { return }
            var template = TypingTemplate(field: String(sample.field.prefix(64)), length: sample.keys.count)
            template.mean = Array(repeating: 0, count: features.count)
            template.m2 = Array(repeating: 0, count: features.count)
            templates.append(template)
            index = templates.count - 1
        }
        var t = templates[index]
        t.count += 1
        for i in features.indices {
            let delta = features[i] - t.mean[i]
            t.mean[i] += delta / Double(t.count)
            t.m2[i] += delta * (features[i] - t.mean[i])
        }
        templates[index] = t
    }
}
