/// Keystroke-dynamics signals: features from raw timings, per-user templates, an anomaly in 0..1.
///
/// Requests carry key down/up times only, never key identities (SPEC §3). The detector and its
/// measurement are described in docs/typing.md.
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

    /// Most templates kept per user (fields × lengths); beyond it new fields are not learned.
    public static let maxTemplates = 8
    /// Longest field name kept; longer names are truncated the same way when learning and assessing.
    static let maxFieldLength = 64

    /// Timing features of a sample: hold times, then down-down, then up-down latencies (ms).
    ///
    /// `nil` when the sample is unusable: empty or more than 128 keys, a time that is not finite or
    /// is negative, a key released before it was pressed, keys out of order, or a span over an hour.
    public static func features(_ keys: [RequestContext.Typing.Key]) -> [Double]? {
        TypingFeatures.extract(keys)
    }

    /// Assesses a sample against the user's templates.
    ///
    /// Enrolled means the template for this field and length has learned at least `minEnrollment`
    /// samples (and at least ``TypingTemplate/minimumSamples``); only then is there an anomaly.
    public static func assess(_ sample: RequestContext.Typing?, templates: [TypingTemplate], minEnrollment: Int) -> Assessment {
        guard let sample, let features = features(sample.keys) else {
            return Assessment(present: false, enrolled: false, anomaly: nil)
        }
        let field = normalised(sample.field)
        // By index: `first(where:)` would copy the template out (retaining each of its arrays).
        guard let index = templates.firstIndex(where: { $0.field == field && $0.length == sample.keys.count }),
              templates[index].count >= max(1, minEnrollment), templates[index].canScore,
              let anomaly = templates[index].anomaly(features)
        else { return Assessment(present: true, enrolled: false, anomaly: nil) }
        return Assessment(present: true, enrolled: true, anomaly: anomaly)
    }

    /// Learns an accepted sample into the user's template for its field and length.
    ///
    /// Unusable samples are ignored; a new field or length gets a new template while the user has
    /// fewer than ``maxTemplates``.
    public static func learn(_ sample: RequestContext.Typing, into templates: inout [TypingTemplate]) {
        guard let features = features(sample.keys) else { return }
        let field = normalised(sample.field)
        if let index = templates.firstIndex(where: { $0.field == field && $0.length == sample.keys.count }) {
            templates[index].learn(features)
        } else if templates.count < maxTemplates {
            var template = TypingTemplate(field: field, length: sample.keys.count)
            template.learn(features)
            templates.append(template)
        }
    }

    static func normalised(_ field: String) -> String { String(field.prefix(maxFieldLength)) }
}
