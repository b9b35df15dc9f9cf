import Foundation
import Testing
@testable import RiskGatePolicy
@testable import RiskGateReplay

/// A decider whose answer for each event id is written down in the test, so every number in the
/// report can be worked out by hand. It also records what the harness told it.
final class TableDecider: ReplayDecider {
    let answers: [String: ReplayResult]
    var seen: [(id: String, attackerFails: Bool)] = []
    var failOn: String?

    init(_ answers: [String: (Outcome, Double)], failOn: String? = nil) {
        self.answers = answers.mapValues { ReplayResult(outcome: $0.0, score: $0.1, rule: "r-\($0.0.rawValue)") }
        self.failOn = failOn
    }

    struct Boom: Error, CustomStringConvertible { var description: String { "store is read-only" } }

    func replay(_ event: RequestContext, attackerFailsChallenges: Bool) throws -> ReplayResult {
        let id = event.id ?? ""
        if id == failOn { throw Boom() }
        seen.append((id, attackerFailsChallenges))
        guard let answer = answers[id] else { throw Boom() }
        return answer
    }
}

@Suite struct ReplayHarnessTests {
    /// Ten events and one bad line. Per event: channel, label, candidate (outcome, score), baseline (outcome, score).
    static let stream: [(id: String, channel: String?, label: String?, candidate: (Outcome, Double), baseline: (Outcome, Double))] = [
        ("e1", "web", #"{"attack":false,"account_takeover":false}"#, (.passive, 10), (.passive, 10)),
        ("e2", "web", #"{"attack":false}"#, (.otp, 40), (.passive, 20)),
        ("e3", "web", #"{}"#, (.passive, 30), (.passive, 30)),
        ("e4", "chat", #"{"attack":false,"account_takeover":false}"#, (.passive, 50), (.otp, 50)),
        ("e5", "chat", #"{"attack":true}"#, (.deny, 90), (.otp, 60)),
        ("e6", "chat", #"{"attack":true,"account_takeover":false}"#, (.passive, 50), (.passive, 40)),
        ("e7", "voice", #"{"attack":false,"account_takeover":true}"#, (.passive, 20), (.passive, 10)),
        ("e8", "voice", #"{"attack":true,"account_takeover":true}"#, (.otpKbaDelay, 80), (.passive, 70)),
        ("e9", nil, nil, (.agentEscalation, 60), (.agentEscalation, 60)),
        ("e10", "web", nil, (.otp, 40), (.deny, 95)),
    ]

    static func datasetText() -> String {
        var lines: [String] = []
        for (i, e) in stream.enumerated() {
            var line = #"{"id":"\#(e.id)","user":"user-\#(i % 3)","time":"2026-03-01T10:00:\#(String(format: "%02d", i))Z""#
            if let channel = e.channel { line += #","channel":"\#(channel)""# }
            if let label = e.label { line += #","label":\#(label)"# }
            lines.append(line + "}")
            if i == 4 { lines.append("this is not json") }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func run(withBaseline: Bool) throws -> (ReplayReport, TableDecider, TableDecider) {
        let candidate = TableDecider(Dictionary(uniqueKeysWithValues: stream.map { ($0.id, $0.candidate) }))
        let baseline = TableDecider(Dictionary(uniqueKeysWithValues: stream.map { ($0.id, $0.baseline) }))
        var options = ReplayHarness.Options()
        options.batchSize = 3  // several hand-overs between the threads
        options.queueDepth = 1
        let reader = try EventReader(path: try temporaryFile(datasetText()))
        let report = try ReplayHarness.run(reader: reader, candidate: candidate, baseline: withBaseline ? baseline : nil, options: options)
        return (report, candidate, baseline)
    }

    @Test func countsEveryMetricOfAHandMadeStream() throws {
        let (r, candidate, baseline) = try Self.run(withBaseline: true)
        #expect(r.events == 10)
        #expect(r.lines == 11)
        #expect(r.badLines == 1)
        #expect(r.badLineExamples.map(\.line) == [6])
        #expect(r.outcomes == OutcomeCounts(passive: 5, otp: 2, otpKbaDelay: 1, agentEscalation: 1, deny: 1))
        #expect(r.outcomeShares == OutcomeShares(passive: 0.5, otp: 0.2, otpKbaDelay: 0.1, agentEscalation: 0.1, deny: 0.1))
        #expect(r.labels == LabelCounts(legit: 4, attack: 4, accountTakeover: 2, unknown: 2))
        #expect(r.legitFriction == 0.25)
        #expect(r.attackStopRate == 0.5)
        #expect(r.takeoversLetThrough == 1)
        // Attack 90, 50, 20, 80 against legit 10, 40, 30, 50: 4 + 3.5 + 1 + 4 = 12.5 of 16 pairs.
        #expect(r.scoreAUC == 12.5 / 16)

        #expect(r.byLabel.legit.outcomes == OutcomeCounts(passive: 3, otp: 1, otpKbaDelay: 0, agentEscalation: 0, deny: 0))
        #expect(r.byLabel.attack.outcomes == OutcomeCounts(passive: 2, otp: 0, otpKbaDelay: 1, agentEscalation: 0, deny: 1))
        #expect(r.byLabel.accountTakeover.outcomes == OutcomeCounts(passive: 1, otp: 0, otpKbaDelay: 1, agentEscalation: 0, deny: 0))
        #expect(r.byLabel.unknown.outcomes == OutcomeCounts(passive: 0, otp: 1, otpKbaDelay: 0, agentEscalation: 1, deny: 0))
        #expect(r.byLabel.accountTakeover.nonPassiveShare == 0.5)

        let web = try #require(r.byChannel["web"])
        #expect(web.events == 4 && web.outcomes.passive == 2 && web.outcomes.otp == 2)
        #expect(web.legitFriction == 1.0 / 3 && web.attackStopRate == nil)
        let chat = try #require(r.byChannel["chat"])
        #expect(chat.events == 3 && chat.legitFriction == 0 && chat.attackStopRate == 0.5 && chat.outcomes.deny == 1)
        let voice = try #require(r.byChannel["voice"])
        #expect(voice.labels == LabelCounts(legit: 0, attack: 2, accountTakeover: 2, unknown: 0))
        #expect(voice.takeoversLetThrough == 1 && voice.attackStopRate == 0.5)
        #expect(r.byChannel["(none)"]?.events == 1)
        #expect(r.byChannel.count == 4)

        #expect(r.scoreHistograms.binWidth == 5)
        var legit = [Int](repeating: 0, count: 20); for b in [2, 8, 6, 10] { legit[b] += 1 }
        var attack = [Int](repeating: 0, count: 20); for b in [18, 10, 4, 16] { attack[b] += 1 }
        #expect(r.scoreHistograms.legit == legit)
        #expect(r.scoreHistograms.attack == attack)
        #expect(r.scoreHistograms.unknown.reduce(0, +) == 2)

        let roc = r.roc.map { [$0.fpr, $0.tpr] }
        #expect(roc == [[0, 0], [0, 0.25], [0, 0.5], [0.25, 0.75], [0.5, 0.75], [0.75, 0.75], [0.75, 1], [1, 1]])
        #expect(r.roc.map(\.threshold) == [nil, 90, 80, 50, 40, 30, 20, 10])
        // Every point has the same keys in JSON; the start point's threshold is null.
        let start = try JSONSerialization.jsonObject(with: JSONEncoder().encode(r.roc[0])) as? [String: Any]
        #expect(start?.keys.sorted() == ["fpr", "threshold", "tpr"])
        #expect(start?["threshold"] is NSNull)

        let b = try #require(r.baseline)
        #expect(b.outcomes == OutcomeCounts(passive: 6, otp: 2, otpKbaDelay: 0, agentEscalation: 1, deny: 1))
        #expect(b.legitFriction == 0.25 && b.attackStopRate == 0.25 && b.takeoversLetThrough == 2)
        // Attack 60, 40, 10, 70 against legit 10, 20, 30, 50: 4 + 3 + 0.5 + 4 = 11.5 of 16.
        #expect(b.scoreAUC == 11.5 / 16)
        #expect(b.changed == 5)
        #expect(b.cell(from: .passive, to: .passive).total == 4)
        #expect(b.cell(from: .passive, to: .passive).labels == LabelCounts(legit: 2, attack: 2, accountTakeover: 1, unknown: 0))
        #expect(b.cell(from: .passive, to: .otp).labels == LabelCounts(legit: 1, attack: 0, accountTakeover: 0, unknown: 0))
        #expect(b.cell(from: .otp, to: .passive).total == 1)
        #expect(b.cell(from: .otp, to: .deny).labels.attack == 1)
        #expect(b.cell(from: .passive, to: .otpKbaDelay).labels == LabelCounts(legit: 0, attack: 1, accountTakeover: 1, unknown: 0))
        #expect(b.cell(from: .deny, to: .otp).labels.unknown == 1)
        #expect(b.cell(from: .agentEscalation, to: .agentEscalation).total == 1)
        #expect(b.transitions.count == 7)
        #expect(b.transitions.reduce(0) { $0 + $1.total } == 10)
        let example = try #require(b.cell(from: .deny, to: .otp).examples.first)
        #expect(example.id == "e10" && example.user == "user-0" && example.line == 11)
        #expect(example.baselineScore == 95 && example.candidateScore == 40)
        #expect(example.baselineRule == "r-deny" && example.candidateRule == "r-otp")
        #expect(example.time == "2026-03-01T10:00:09Z" && example.label == "unknown")
        #expect(b.cell(from: .passive, to: .otpKbaDelay).examples.first?.label == "account_takeover")
        #expect(b.cell(from: .passive, to: .passive).examples.isEmpty)

        // Both deciders saw the same stream in order, with the attack flag from the label.
        #expect(candidate.seen.map(\.id) == Self.stream.map(\.id))
        #expect(baseline.seen.map(\.id) == Self.stream.map(\.id))
        #expect(candidate.seen.map(\.attackerFails) == [false, false, false, false, true, true, true, true, false, false])
        #expect(r.eventsPerSecond > 0 && r.peakMemoryBytes > 0)
    }

    @Test func withoutBaselineThereIsNoComparison() throws {
        let (r, _, baseline) = try Self.run(withBaseline: false)
        #expect(r.baseline == nil)
        #expect(baseline.seen.isEmpty)
        #expect(r.events == 10)
    }

    @Test func emptyClassesGiveNullNotZero() throws {
        let reader = try EventReader(path: try temporaryFile(#"{"id":"e1","user":"u","time":"2026-01-01T00:00:00Z"}"# + "\n"))
        let r = try ReplayHarness.run(reader: reader, candidate: TableDecider(["e1": (.otp, 12)]))
        #expect(r.legitFriction == nil && r.attackStopRate == nil && r.scoreAUC == nil && r.roc.isEmpty)
        let json = String(decoding: try JSONEncoder().encode(r), as: UTF8.self)
        #expect(json.contains(#""score_auc":null"#))
        #expect(json.contains(#""legit_friction":null"#))
    }

    @Test func aDeciderFailureStopsTheReplayWithTheLine() throws {
        let reader = try EventReader(path: try temporaryFile(Self.datasetText()))
        let decider = TableDecider(Dictionary(uniqueKeysWithValues: Self.stream.map { ($0.id, $0.candidate) }), failOn: "e7")
        #expect(throws: ReplayError.decider(line: 8, message: "store is read-only")) {
            try ReplayHarness.run(reader: reader, candidate: decider)
        }
    }

    @Test func tallyShardsMergeToTheSameReport() throws {
        let reader = try EventReader(path: try temporaryFile(Self.datasetText()))
        let events = try readAll(reader)
        var whole = ReplayTally(withBaseline: true)
        var shards = [ReplayTally(withBaseline: true), ReplayTally(withBaseline: true)]
        for event in events {
            let row = Self.stream.first { $0.id == event.context.id }!
            let c = ReplayResult(outcome: row.candidate.0, score: row.candidate.1, rule: "c")
            let b = ReplayResult(outcome: row.baseline.0, score: row.baseline.1, rule: "b")
            whole.add(event, candidate: c, baseline: b)
            shards[event.context.user.hashValue & 1].add(event, candidate: c, baseline: b)
        }
        var merged = shards[0]
        merged.merge(shards[1])
        let a = whole.report(lines: 11, badLines: 1, badLineExamples: [], elapsedSeconds: 1, peakMemoryBytes: 0)
        var m = merged.report(lines: 11, badLines: 1, badLineExamples: [], elapsedSeconds: 1, peakMemoryBytes: 0)
        // Example order may differ across shards; everything else is identical.
        m.baseline?.transitions = a.baseline?.transitions ?? []
        #expect(a == m)
        #expect(merged.baseline?.outcomes == whole.baseline?.outcomes)
        #expect(merged.transitions == whole.transitions)
    }

    @Test func aucIsExactOnBuckets() {
        var positives = [Int](repeating: 0, count: ScoreBuckets.count)
        var negatives = [Int](repeating: 0, count: ScoreBuckets.count)
        positives[ScoreBuckets.index(of: 70.004)] += 1   // rounds to 70.00
        positives[ScoreBuckets.index(of: 100.5)] += 1    // clamps to 100
        negatives[ScoreBuckets.index(of: 70)] += 1
        negatives[ScoreBuckets.index(of: -3)] += 1       // clamps to 0
        negatives[ScoreBuckets.index(of: .nan)] += 1     // counts as 0
        // 70 vs {70, 0, 0}: 0.5 + 1 + 1; 100 vs all: 3 → 5.5 / 6.
        #expect(ScoreBuckets.auc(positives: positives[...], negatives: negatives[...]) == 5.5 / 6)
        #expect(ScoreBuckets.auc(positives: positives[...], negatives: [Int](repeating: 0, count: ScoreBuckets.count)[...]) == nil)
    }

    /// Channel names are cut to 64 UTF-8 bytes, at a character boundary.
    @Test func channelNamesAreCutByBytes() {
        #expect(ReplayTally.prefix(String(repeating: "é", count: 40), bytes: 64) == String(repeating: "é", count: 32))
        #expect(ReplayTally.prefix("a" + String(repeating: "é", count: 40), bytes: 64) == "a" + String(repeating: "é", count: 31))
        #expect(ReplayTally.prefix("web", bytes: 64) == "web")
        let marks = "e" + String(repeating: "\u{301}", count: 40)  // one character of 81 bytes
        #expect(ReplayTally.prefix(marks, bytes: 64) == "")
    }

    @Test func rocIsThinnedTo200PointsKeepingTheEnds() {
        var positives = [Int](repeating: 0, count: ScoreBuckets.count)
        var negatives = [Int](repeating: 0, count: ScoreBuckets.count)
        for i in 0..<ScoreBuckets.count { if i % 2 == 0 { positives[i] = 1 } else { negatives[i] = 1 } }
        let roc = ScoreBuckets.roc(positives: positives[...], negatives: negatives[...])
        #expect(roc.count == 200)
        #expect(roc.first?.fpr == 0 && roc.first?.tpr == 0)
        #expect(roc.last?.fpr == 1 && roc.last?.tpr == 1)
        #expect(zip(roc, roc.dropFirst()).allSatisfy { $0.fpr <= $1.fpr && $0.tpr <= $1.tpr })
    }
}
