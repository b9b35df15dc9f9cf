import Foundation
import Testing
@testable import RiskGatePolicy
@testable import RiskGateReplay

/// The timeline and the threshold table on a hand-made stream whose every count is known.
@Suite struct ReplayTimelineThresholdTests {
    /// Decides by the event id, `sSCORE-OUTCOME`; the baseline passes everything.
    final class ByID: ReplayDecider {
        let passesAll: Bool
        init(passesAll: Bool = false) { self.passesAll = passesAll }
        func replay(_ event: RequestContext, attackerFailsChallenges: Bool) throws -> ReplayResult {
            let parts = (event.id ?? "s0-passive").dropFirst().split(separator: "-")
            let score = Double(parts[0]) ?? 0
            return ReplayResult(outcome: passesAll ? .passive : Outcome(rawValue: String(parts[1])) ?? .passive,
                                score: score, rule: "r")
        }
    }

    static func line(_ id: String, _ time: String, _ label: String?) -> String {
        let labelJSON = label.map { #","label":{"attack":\#($0 == "attack")}"# } ?? ""
        return #"{"id":"\#(id)","user":"u-1","time":"\#(time)"\#(labelJSON)}"#
    }

    static func report(_ lines: [String], baseline: Bool = false) throws -> ReplayReport {
        let reader = try EventReader(path: try temporaryFile(lines.joined(separator: "\n") + "\n"))
        return try ReplayHarness.run(reader: reader, candidate: ByID(), baseline: baseline ? ByID(passesAll: true) : nil)
    }

    static let threeDays = [
        line("s10-passive", "2026-01-01T08:00:00Z", "legit"),
        line("s40-otp", "2026-01-01T09:00:00Z", "legit"),
        line("s80-deny", "2026-01-01T10:00:00Z", "attack"),
        line("s20-passive", "2026-01-01T23:59:59Z", "attack"),
        line("s0-passive", "2026-01-02T00:00:00Z", "legit"),
        line("s95-otp", "2026-01-02T12:00:00Z", "attack"),
        line("s55-passive", "2026-01-03T07:00:00Z", "legit"),
        line("s50-otp", "2026-01-03T08:00:00Z", nil),
    ]

    @Test func aStreamOverDaysHasOnePointADay() throws {
        let report = try Self.report(Self.threeDays, baseline: true)
        #expect(report.timeline.map(\.start) == ["2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z"])
        #expect(report.timeline.map(\.events) == [4, 2, 2])
        #expect(report.timeline.map(\.legitFriction) == [0.5, 0, 0])
        #expect(report.timeline.map(\.attackStopRate) == [0.5, 1, nil])
        #expect(report.timeline.map { $0.baseline?.legitFriction } == [0, 0, 0])
        #expect(report.timeline.map { $0.baseline?.attackStopRate } == [0, 0, nil])
        // The points add up to the totals.
        #expect(report.timeline.reduce(0) { $0 + $1.events } == report.events)
    }

    @Test func aStreamUnderTwoDaysHasOnePointAnHour() throws {
        let report = try Self.report([
            Self.line("s10-otp", "2026-01-01T08:10:00Z", "legit"),
            Self.line("s10-passive", "2026-01-01T08:50:00Z", "legit"),
            Self.line("s90-deny", "2026-01-01T10:00:00Z", "attack"),
        ])
        #expect(report.timeline.map(\.start) == ["2026-01-01T08:00:00Z", "2026-01-01T10:00:00Z"])
        #expect(report.timeline.map(\.events) == [2, 1])
        #expect(report.timeline.map(\.legitFriction) == [0.5, nil])
        #expect(report.timeline.first?.baseline == nil)
    }

    @Test func thresholdsFollowTheScoreDistribution() throws {
        let report = try Self.report(Self.threeDays)
        // Legit scores 10, 40, 0, 55; attack scores 80, 20, 95 (the unlabelled event counts in neither).
        let rows = Dictionary(uniqueKeysWithValues: report.thresholds.cutoffs.map { ($0.score, $0) })
        #expect(report.thresholds.cutoffs.count == 21)
        #expect(rows[0]?.legitFriction == 1 && rows[0]?.attackStopRate == 1)
        #expect(rows[5]?.legitFriction == 0.75 && rows[5]?.attackStopRate == 1)
        #expect(rows[25]?.legitFriction == 0.5 && rows[25]?.attackStopRate == 2.0 / 3)
        #expect(rows[45]?.legitFriction == 0.25)
        #expect(rows[60]?.legitFriction == 0 && rows[60]?.attackStopRate == 2.0 / 3)
        #expect(rows[85]?.attackStopRate == 1.0 / 3)
        #expect(rows[100]?.attackStopRate == 0)
        #expect(report.thresholds.forLegitFriction.map(\.maxLegitFriction) == [0.01, 0.02, 0.05])
        #expect(report.thresholds.forLegitFriction.map(\.score) == [60, 60, 60])
        #expect(report.thresholds.forLegitFriction.first?.attackStopRate == 2.0 / 3)
        // JSON keys other programs read.
        let object = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(report)) as? [String: Any])
        #expect(object["timeline"] is [Any])
        let thresholds = try #require(object["thresholds"] as? [String: Any])
        #expect(thresholds["cutoffs"] is [Any] && thresholds["for_legit_friction"] is [Any])
        #expect(try JSONDecoder().decode(ReplayReport.self, from: JSONEncoder().encode(report)) == report)
    }
}
