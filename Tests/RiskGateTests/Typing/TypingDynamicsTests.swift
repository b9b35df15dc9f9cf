import Foundation
import Testing
@testable import RiskGateEngine
@testable import RiskGatePolicy

/// `../shared/datasets/keystroke-touch-tie5Roanl/dataset1_features` from this file's package root.
private let dataset1 = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("shared/datasets/keystroke-touch-tie5Roanl/dataset1_features")
private let hasDataset1 = FileManager.default.fileExists(atPath: dataset1.path)

private func key(_ down: Double, _ up: Double) -> RequestContext.Typing.Key { .init(down: down, up: up) }

@Suite struct TypingFeatureTests {
    @Test func extractsHoldDownDownAndUpDown() throws {
        // Three keys; the third is pressed before the second is released (overlap: negative up-down).
        let keys = [key(0, 95), key(180, 260), key(250, 330)]
        let f = try #require(TypingDynamics.features(keys))
        #expect(f == [95, 80, 80, /* DD */ 180, 70, /* UD */ 85, -10])
    }

    @Test func singleKeyHasOnlyAHold() {
        #expect(TypingDynamics.features([key(10, 40)]) == [30])
    }

    @Test(arguments: [
        [key(0, 95), key(.nan, 200)],
        [key(0, .infinity)],
        [key(-5, 10)],
        [key(100, 90)],                   // released before pressed
        [key(100, 150), key(50, 80)],     // out of order
        [key(0, 10), key(4_000_000, 4_000_010)],  // span over an hour
        [],
    ])
    func rejectsUnusableSamples(keys: [RequestContext.Typing.Key]) {
        #expect(TypingDynamics.features(keys) == nil)
        let a = TypingDynamics.assess(.init(field: "password", keys: keys), templates: [], minEnrollment: 1)
        #expect(!a.present && !a.enrolled && a.anomaly == nil)
        var templates: [TypingTemplate] = []
        TypingDynamics.learn(.init(field: "password", keys: keys), into: &templates)
        #expect(templates.isEmpty)
    }

    @Test func rejectsAbsurdLengths() {
        let many = (0..<(TypingFeatures.maxKeys + 1)).map { key(Double($0) * 100, Double($0) * 100 + 50) }
        #expect(TypingDynamics.features(many) == nil)
        #expect(TypingDynamics.features(Array(many.prefix(TypingFeatures.maxKeys))) != nil)
    }
}

@Suite struct TypingTemplateTests {
    /// Deterministic, varied timings for `n` keys.
    private func sample(_ seed: Int, keys n: Int = 6) -> [RequestContext.Typing.Key] {
        var down = 0.0
        return (0..<n).map { i in
            let jitter = Double((seed * 7919 + i * 104_729) % 37)
            defer { down += 120 + jitter * 2 }
            return key(down, down + 80 + jitter)
        }
    }

    private func batchMedian(_ values: [Double]) -> Double {
        let s = values.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    @Test(arguments: [7, 30, 80])
    func onlineTemplateEqualsBatchStatistics(learned: Int) throws {
        var templates: [TypingTemplate] = []
        var all: [[Double]] = []
        for s in 0..<learned {
            let keys = sample(s)
            TypingDynamics.learn(.init(field: "password", keys: keys), into: &templates)
            all.append(try #require(TypingDynamics.features(keys)))
        }
        let t = try #require(templates.first)
        let window = Array(all.suffix(TypingTemplate.capacity))
        #expect(t.count == learned)
        #expect(t.samples == window)
        for i in 0..<t.featureCount {
            let column = window.map { $0[i] }
            let m = batchMedian(column)
            #expect(t.centre[i] == m)
            #expect(abs(t.scale[i] - max(1.4826 * batchMedian(column.map { abs($0 - m) }), 2)) < 1e-9)
        }
        // Each genuine score is the sample scored against the template before it was learned.
        let firstScored = TypingTemplate.minimumSamples - 1
        let expected = (firstScored..<learned).map { j -> Double in
            let history = Array(all[..<j].suffix(TypingTemplate.capacity))
            let scale = NeighbourDistance.centreAndScale(history).scale
            return NeighbourDistance.score(all[j], samples: history, inverseScale: scale.map { 1 / $0 })
        }
        #expect(t.genuineScores.count == min(expected.count, TypingTemplate.capacity))
        for (a, b) in zip(t.genuineScores, expected.suffix(TypingTemplate.capacity)) { #expect(abs(a - b) < 1e-9) }
    }

    @Test("the ring's vector score is exactly the row-by-row score, for every ring size and sign of difference",
          arguments: [0, 1, 13])
    func ringScoreEqualsRowScoreExactly(width: Int) throws {
        var random = SeededRandom(seed: 11 &+ UInt64(width))
        for rows in 1...TypingTemplate.capacity {
            // Values on both sides of the probe, some equal to it, some far enough to hit the cap.
            let samples = (0..<rows).map { _ in (0..<width).map { _ in Double(Int.random(in: 0...400, using: &random)) } }
            let probe = (0..<width).map { _ in Double(Int.random(in: 100...300, using: &random)) }
            let weights = (0..<width).map { _ in 1 / Double.random(in: 2...60, using: &random) }
            let ring = try #require(RankedRing(width: width, capacity: TypingTemplate.capacity, rows: samples))
            let vector = probe.withUnsafeBufferPointer { NeighbourDistance.score($0, ring: ring, inverseScale: weights) }
            #expect(vector == NeighbourDistance.score(probe, samples: samples, inverseScale: weights), "\(rows) rows")
        }
    }

    @Test("learning with the decision's distance gives the template learning alone gives")
    func learningWithKnownScoreMatches() throws {
        var template = TypingTemplate(field: "password", length: 6)
        for s in 0..<70 {
            let features = try #require(TypingDynamics.features(sample(s)))
            let probe = try #require(TypingDynamics.features(sample(s + 1000)))
            // Scoring leaves the template as it was.
            let before = template
            #expect(template.rawScore(probe) == before.rawScore(probe))
            #expect(template == before)
            // Learning with the distance a decision computed, or computing it again, gives the same template.
            var other = template
            other.learn(features, knownScore: template.prequentialScore(features))
            template.learn(features)
            #expect(template == other)
            #expect(template.genuineScores == other.genuineScores)
            #expect(template.rawScore(probe) == other.rawScore(probe))
        }
        // A template rebuilt by the state codec scores as the original does.
        var state = UserState()
        state.typing = [template]
        let decoded = try UserStateCodec.decode(UserStateCodec.encode(state)).typing[0]
        let probe = try #require(TypingDynamics.features(sample(5000)))
        #expect(decoded.rawScore(probe) == template.rawScore(probe))
        #expect(decoded.anomaly(probe) == template.anomaly(probe))
    }

    @Test func roundTripsThroughJSONAndRejectsCorruptTemplates() throws {
        var templates: [TypingTemplate] = []
        for s in 0..<12 { TypingDynamics.learn(.init(field: "password", keys: sample(s)), into: &templates) }
        let data = try JSONEncoder().encode(templates)
        let decoded = try JSONDecoder().decode([TypingTemplate].self, from: data)
        #expect(decoded == templates)

        let corrupt = #"{"field":"password","length":6,"count":3,"samples":[[1,2,3]],"genuine_scores":[]}"#
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(TypingTemplate.self, from: Data(corrupt.utf8)) }
        let hugeLength = #"{"field":"p","length":100000000,"count":0,"samples":[],"genuine_scores":[]}"#
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(TypingTemplate.self, from: Data(hugeLength.utf8)) }
    }

    /// Learning a sample with the scoring its decision made gives the same template as learning it
    /// from scratch, on every step of enrolment; a scoring taken before the template changed is ignored.
    @Test func learningReusesTheDecisionsScoringOnlyWhileItHolds() throws {
        var plain: [TypingTemplate] = []
        var reused: [TypingTemplate] = []
        for s in 0..<60 {
            let typing = RequestContext.Typing(field: "password", keys: sample(s))
            let (assessment, scored) = TypingDynamics.score(typing, templates: reused, minEnrollment: 5)
            #expect(assessment == TypingDynamics.assess(typing, templates: plain, minEnrollment: 5))
            if s >= 2 { #expect(scored?.distance != nil) }
            TypingDynamics.learn(typing, into: &plain)
            TypingDynamics.learn(typing, into: &reused, scored: scored)
            #expect(reused == plain, "after sample \(s)")
        }
        let probe = RequestContext.Typing(field: "password", keys: sample(500))
        let stale = try #require(TypingDynamics.score(probe, templates: reused, minEnrollment: 5).scored)
        let between = RequestContext.Typing(field: "password", keys: sample(501))
        TypingDynamics.learn(between, into: &plain)
        TypingDynamics.learn(between, into: &reused)
        TypingDynamics.learn(probe, into: &plain)
        TypingDynamics.learn(probe, into: &reused, scored: stale)
        #expect(reused == plain)
    }

    @Test func enrolmentAndComparability() throws {
        var templates: [TypingTemplate] = []
        for s in 0..<9 { TypingDynamics.learn(.init(field: "password", keys: sample(s)), into: &templates) }
        let probe = RequestContext.Typing(field: "password", keys: sample(100))
        #expect(TypingDynamics.assess(probe, templates: templates, minEnrollment: 10) == .init(present: true, enrolled: false, anomaly: nil))
        TypingDynamics.learn(.init(field: "password", keys: sample(9)), into: &templates)
        let enrolled = TypingDynamics.assess(probe, templates: templates, minEnrollment: 10)
        #expect(enrolled.enrolled)
        let anomaly = try #require(enrolled.anomaly)
        #expect((0...1).contains(anomaly))
        // Another length is present but not comparable; another field too.
        let shorter = TypingDynamics.assess(.init(field: "password", keys: sample(1, keys: 5)), templates: templates, minEnrollment: 10)
        #expect(shorter == .init(present: true, enrolled: false, anomaly: nil))
        let otherField = TypingDynamics.assess(.init(field: "pin", keys: sample(1)), templates: templates, minEnrollment: 10)
        #expect(!otherField.enrolled)
        #expect(TypingDynamics.assess(nil, templates: templates, minEnrollment: 10).present == false)
    }

    @Test func anomalyMappingIsMonotoneAndAnchored() {
        #expect(NeighbourDistance.anomaly(score: 5, typical: 10) == 0)
        #expect(NeighbourDistance.anomaly(score: 10, typical: 10) == 0)
        var previous = 0.0
        for step in 0...100 {
            let a = NeighbourDistance.anomaly(score: 10 + Double(step) * 0.2, typical: 10)
            #expect(a >= previous && a <= 1)
            previous = a
        }
        #expect(abs(NeighbourDistance.anomaly(score: 15, typical: 10) - (1 - exp(-1))) < 1e-12)
        #expect(NeighbourDistance.anomaly(score: .infinity, typical: 10) == 1)
    }
}

@Suite struct KeystrokeEvaluationTests {
    @Test func equalErrorRateIsExact() {
        // Perfect separation.
        #expect(KeystrokeEvaluation.equalErrorRate(genuine: [1, 2, 3], impostor: [4, 5, 6]) == 0)
        // Fully inverted.
        #expect(KeystrokeEvaluation.equalErrorRate(genuine: [4, 5, 6], impostor: [1, 2, 3]) == 1)
        // One impostor among the genuine: at t = 2.5 FAR = 1/4, FRR = 1/3; at t = 3 FAR = 1/4, FRR = 0.
        // FAR − FRR goes −1/12 → 1/4 between them, crossing a quarter of the way: EER = 1/4.
        let e = KeystrokeEvaluation.equalErrorRate(genuine: [1, 2, 3], impostor: [2.5, 4, 5, 6])
        #expect(abs(e - 0.25) < 1e-12)
        // Crossing where both rates move: genuine [1, 3], impostor [2, 4]: t = 1 (0, 1/2), t = 2 (1/2, 1/2).
        #expect(abs(KeystrokeEvaluation.equalErrorRate(genuine: [1, 3], impostor: [2, 4]) - 0.5) < 1e-12)
        // All tied: the crossing is interpolated halfway.
        #expect(abs(KeystrokeEvaluation.equalErrorRate(genuine: [1, 1], impostor: [1, 1]) - 0.5) < 1e-12)
    }

    @Test(.enabled(if: hasDataset1, "needs ../shared/datasets/keystroke-touch-tie5Roanl"))
    func impostorsScoreHigherThanHeldOutGenuineForMostSubjects() throws {
        let subjects = try KeystrokeEvaluation.loadDataset1(directory: dataset1)
        #expect(subjects.count == 56)
        var wins = 0
        for (s, rows) in subjects.enumerated() {
            let template = KeystrokeDetectors.onlineTemplate(Array(rows.prefix(25)))
            let impostor = subjects[(s + 1) % subjects.count][0]
            let genuine = rows[25]
            if let a = template.anomaly(impostor), let g = template.anomaly(genuine), a > g { wins += 1 }
        }
        #expect(wins >= 45, "impostor above genuine for \(wins) of 56 subjects")
    }

    @Test(.enabled(if: hasDataset1, "needs ../shared/datasets/keystroke-touch-tie5Roanl"))
    func projectDetectorBeatsBothBaselines() throws {
        let subjects = try KeystrokeEvaluation.loadDataset1(directory: dataset1)
        let project = KeystrokeEvaluation.killourhyMaxion(subjects: subjects, detector: KeystrokeDetectors.project)
        let manhattan = KeystrokeEvaluation.killourhyMaxion(subjects: subjects, detector: KeystrokeDetectors.scaledManhattan)
        let outliers = KeystrokeEvaluation.killourhyMaxion(subjects: subjects, detector: KeystrokeDetectors.outlierCount)
        #expect(project.perSubject.count == 56)
        #expect(project.mean < manhattan.mean, "project \(project.mean) vs scaled Manhattan \(manhattan.mean)")
        #expect(project.mean < outliers.mean, "project \(project.mean) vs outlier count \(outliers.mean)")
    }
}
