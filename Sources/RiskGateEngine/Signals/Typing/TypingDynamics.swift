import RiskGatePolicy

/// Keystroke-dynamics signals: features from raw timings, per-user templates, an anomaly in 0..1.
///
/// Requests carry key down/up times only, never key identities (docs/signals.md). The detector and its
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
        score(sample, templates: templates, minEnrollment: minEnrollment).assessment
    }

    /// As ``assess(_:templates:minEnrollment:)``, also returning the sample as scored, so that
    /// learning it afterwards (``learn(_:into:scored:)``) reuses its features and its distance to
    /// the template instead of computing both again.
    package static func score(_ sample: RequestContext.Typing?, templates: [TypingTemplate],
                              minEnrollment: Int) -> (assessment: Assessment, scored: ScoredSample?) {
        guard let sample, let features = features(sample.keys) else {
            return (Assessment(present: false, enrolled: false, anomaly: nil), nil)
        }
        let field = normalised(sample.field)
        let length = sample.keys.count
        guard let index = templates.withUnsafeBufferPointer({ templateIndex(in: $0, field: field, length: length) }) else {
            return (Assessment(present: true, enrolled: false, anomaly: nil), ScoredSample(features: features, field: field))
        }
        // The template read in place: `templates[index]` copied it, retaining each of its arrays.
        return templates.withUnsafeBufferPointer { templates in
            let distance = templates[index].prequentialScore(features)
            let scored = ScoredSample(features: features, field: field, template: index,
                                      templateCount: templates[index].count, distance: distance)
            guard templates[index].count >= max(1, minEnrollment), templates[index].canScore, let distance else {
                return (Assessment(present: true, enrolled: false, anomaly: nil), scored)
            }
            return (Assessment(present: true, enrolled: true, anomaly: templates[index].anomaly(distance: distance)), scored)
        }
    }

    /// A usable sample as ``score(_:templates:minEnrollment:)`` found it: what learning it needs
    /// from the scoring, valid while the template it was scored against has not changed.
    package struct ScoredSample: Sendable, Hashable {
        /// The sample's timing features.
        let features: [Double]
        /// The normalised field name.
        let field: String
        /// Index of the template for the sample's field and length, `nil` when there was none.
        var template: Int? = nil
        /// That template's ``TypingTemplate/count`` when scored: learning changes it, so a
        /// different count means the distance below is stale.
        var templateCount = 0
        /// The sample's distance to that template (``TypingTemplate/prequentialScore(_:)``).
        var distance: Double? = nil
    }

    /// Learns an accepted sample into the user's template for its field and length.
    ///
    /// Unusable samples are ignored; a new field or length gets a new template while the user has
    /// fewer than ``maxTemplates``. `scored`, this sample as ``score(_:templates:minEnrollment:)``
    /// returned it for the same templates, saves computing its features and distance again; it is
    /// ignored when the template has learned since.
    public static func learn(_ sample: RequestContext.Typing, into templates: inout [TypingTemplate]) {
        learn(sample, into: &templates, scored: nil)
    }

    /// As ``learn(_:into:)``, reusing the scoring of the sample when it still holds.
    package static func learn(_ sample: RequestContext.Typing, into templates: inout [TypingTemplate],
                              scored: ScoredSample?) {
        let features: [Double]
        let field: String
        if let scored, scored.features.count == TypingFeatures.count(keys: sample.keys.count) {
            features = scored.features
            field = scored.field
        } else {
            guard let extracted = self.features(sample.keys) else { return }
            features = extracted
            field = normalised(sample.field)
        }
        let index = templates.withUnsafeBufferPointer { templateIndex(in: $0, field: field, length: sample.keys.count) }
        if let index {
            let known = scored.flatMap { scored in
                scored.template == index && scored.templateCount == templates[index].count ? scored.distance : nil
            }
            templates[index].learn(features, knownScore: known)
        } else if templates.count < maxTemplates {
            var template = TypingTemplate(field: field, length: sample.keys.count)
            template.learn(features)
            templates.append(template)
        }
    }

    /// Index of the template for `field` and `length`, read in place (a `firstIndex(where:)`
    /// closure copied each template it looked at).
    private static func templateIndex(in templates: UnsafeBufferPointer<TypingTemplate>, field: String, length: Int) -> Int? {
        for index in templates.indices where templates[index].length == length && templates[index].field == field {
            return index
        }
        return nil
    }

    static func normalised(_ field: String) -> String { String(field.prefix(maxFieldLength)) }
}
