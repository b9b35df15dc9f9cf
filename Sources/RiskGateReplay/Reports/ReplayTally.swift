import Foundation
import RiskGatePolicy

/// Label classes as replay counts them (docs/replay.md, docs/replay.md). `accountTakeover` is a subset of
/// `attack`: an account-takeover event is counted in both rows.
package enum LabelRow: Int, CaseIterable, Sendable {
    case legit = 0, attack, accountTakeover, unknown

    package var name: String {
        switch self {
        case .legit: "legit"
        case .attack: "attack"
        case .accountTakeover: "account_takeover"
        case .unknown: "unknown"
        }
    }

    /// The primary class of a label (`legit`, `attack` or `unknown`) and whether it is also a takeover.
    ///
    /// A present label with neither flag true is legitimate (an absent or null flag counts as false).
    @inline(__always)
    package static func classify(_ label: RequestContext.Label?) -> (row: LabelRow, takeover: Bool) {
        guard let label else { return (.unknown, false) }
        let takeover = label.accountTakeover == true
        return (label.isAttack ? .attack : .legit, takeover)
    }
}

/// Counts for one decider: outcomes per label row, exact score buckets per label row, per channel.
///
/// Fixed size (about 330 KB) whatever the number of events; two tallies of disjoint event sets
/// merge by addition, so the stream can be sharded (for example by user) and merged at the end.
package struct DeciderTally: Sendable {
    /// `[row * 5 + outcome.rank]`.
    package var outcomes = [Int](repeating: 0, count: LabelRow.allCases.count * 5)
    /// `[row * ScoreBuckets.count + bucket]`.
    package var scores = [Int](repeating: 0, count: LabelRow.allCases.count * ScoreBuckets.count)
    /// Per channel: `[row * 5 + outcome.rank]`.
    package var channels: [String: [Int]] = [:]

    package init() {}

    @inline(__always)
    package mutating func add(row: LabelRow, takeover: Bool, channel: String, result: ReplayResult) {
        let rank = result.outcome.rank
        let bucket = ScoreBuckets.index(of: result.score)
        outcomes[row.rawValue * 5 + rank] += 1
        scores[row.rawValue * ScoreBuckets.count + bucket] += 1
        if takeover {
            outcomes[LabelRow.accountTakeover.rawValue * 5 + rank] += 1
            scores[LabelRow.accountTakeover.rawValue * ScoreBuckets.count + bucket] += 1
        }
        channels[channel, default: [Int](repeating: 0, count: LabelRow.allCases.count * 5)][row.rawValue * 5 + rank] += 1
        if takeover {
            channels[channel]![LabelRow.accountTakeover.rawValue * 5 + rank] += 1
        }
    }

    package mutating func merge(_ other: DeciderTally) {
        for i in outcomes.indices { outcomes[i] += other.outcomes[i] }
        for i in scores.indices { scores[i] += other.scores[i] }
        for (channel, counts) in other.channels {
            var mine = channels[channel] ?? [Int](repeating: 0, count: counts.count)
            for i in mine.indices { mine[i] += counts[i] }
            channels[channel] = mine
        }
    }

    package func count(_ row: LabelRow, _ outcome: Outcome) -> Int { outcomes[row.rawValue * 5 + outcome.rank] }

    package func events(_ row: LabelRow) -> Int { (0..<5).reduce(0) { $0 + outcomes[row.rawValue * 5 + $1] } }

    package func scoreBuckets(_ row: LabelRow) -> ArraySlice<Int> {
        scores[(row.rawValue * ScoreBuckets.count)..<((row.rawValue + 1) * ScoreBuckets.count)]
    }

    /// Outcome counts over all events (legit + attack + unknown rows; takeovers are inside attack).
    package var overall: OutcomeCounts {
        OutcomeCounts { o in count(.legit, o) + count(.attack, o) + count(.unknown, o) }
    }

    package var auc: Double? { ScoreBuckets.auc(positives: scoreBuckets(.attack), negatives: scoreBuckets(.legit)) }

    package var legitFriction: Double? { Self.ratio(events(.legit) - count(.legit, .passive), events(.legit)) }
    package var attackStopRate: Double? { Self.ratio(events(.attack) - count(.attack, .passive), events(.attack)) }
    package var takeoversLetThrough: Int { count(.accountTakeover, .passive) }

    package static func ratio(_ part: Int, _ whole: Int) -> Double? { whole > 0 ? Double(part) / Double(whole) : nil }
}

/// Everything a replay counts; merged across shards, turned into a ``ReplayReport`` at the end.
package struct ReplayTally: Sendable {
    package static let maxChannels = 64
    package static let maxChannelNameBytes = 64
    package static let examplesPerCell = 3

    package var events = 0
    package var candidate = DeciderTally()
    /// Per day (and hour) of event time.
    package var timeline = TimelineTally()
    /// Per rule, for the candidate and the baseline.
    package var candidateRules = RuleTally()
    package var baselineRules = RuleTally()
    /// The first account takeovers the candidate let through.
    package var takeoversLetThrough: [TakeoverLetThrough] = []
    package static let maxTakeoverExamples = 50
    package var baseline: DeciderTally?
    /// `[row * 25 + from.rank * 5 + to.rank]`.
    package var transitions: [Int]
    /// Examples per changed cell, `[from.rank * 5 + to.rank]`.
    package var examples: [[TransitionExample]]

    package init(withBaseline: Bool) {
        baseline = withBaseline ? DeciderTally() : nil
        transitions = [Int](repeating: 0, count: withBaseline ? LabelRow.allCases.count * 25 : 0)
        examples = [[TransitionExample]](repeating: [], count: withBaseline ? 25 : 0)
    }

    /// The longest run of `text`'s leading characters that fits in `bytes` UTF-8 bytes (never
    /// splitting a character, so a character longer than that gives the empty string).
    static func prefix(_ text: String, bytes: Int) -> String {
        var end = text.startIndex
        var used = 0
        for index in text.indices {
            let next = text.index(after: index)
            used += text.utf8.distance(from: index, to: next)
            guard used <= bytes else { break }
            end = next
        }
        return String(text[..<end])
    }

    /// The channel key for an event: bounded in length and in number so hostile data cannot grow the report.
    package func channelKey(_ channel: String?) -> String {
        guard let channel else { return "(none)" }
        let key = channel.utf8.count > Self.maxChannelNameBytes ? Self.prefix(channel, bytes: Self.maxChannelNameBytes) : channel
        if candidate.channels[key] != nil || candidate.channels.count < Self.maxChannels - 1 { return key }
        return "(other)"
    }

    package mutating func add(_ event: ReplayEvent, candidate result: ReplayResult, baseline base: ReplayResult?) {
        withUnsafePointer(to: event) { add($0, candidate: result, baseline: base) }
    }

    /// As ``add(_:candidate:baseline:)``, reading the event in place through `event` (passing an
    /// event held in an array made the caller copy it, retaining each of its strings).
    package mutating func add(_ event: UnsafePointer<ReplayEvent>, candidate result: ReplayResult, baseline base: ReplayResult?) {
        events += 1
        let (row, takeover) = LabelRow.classify(event.pointee.context.label)
        let channel = channelKey(event.pointee.context.channel)
        candidate.add(row: row, takeover: takeover, channel: channel, result: result)
        candidateRules.add(row: row, takeover: takeover, result: result)
        if takeover, result.outcome == .passive, takeoversLetThrough.count < Self.maxTakeoverExamples {
            takeoversLetThrough.append(TakeoverLetThrough(
                line: event.pointee.line, id: event.pointee.context.id, user: event.pointee.context.user,
                time: Timestamp.format(Date(timeIntervalSince1970: event.pointee.seconds)), score: result.score,
                rule: result.rule, signals: result.signalsOn ?? []))
        }
        timeline.add(seconds: event.pointee.seconds, row: row, candidate: result.outcome, baseline: baseline != nil ? base?.outcome : nil)
        guard let base, baseline != nil else { return }
        baseline!.add(row: row, takeover: takeover, channel: channel, result: base)
        baselineRules.add(row: row, takeover: takeover, result: base)
        let cell = base.outcome.rank * 5 + result.outcome.rank
        transitions[row.rawValue * 25 + cell] += 1
        if takeover { transitions[LabelRow.accountTakeover.rawValue * 25 + cell] += 1 }
        if base.outcome != result.outcome && examples[cell].count < Self.examplesPerCell {
            examples[cell].append(TransitionExample(
                line: event.pointee.line, id: event.pointee.context.id, user: event.pointee.context.user,
                time: Timestamp.format(Date(timeIntervalSince1970: event.pointee.seconds)),
                label: takeover ? LabelRow.accountTakeover.name : row.name,
                baselineScore: base.score, candidateScore: result.score,
                baselineRule: base.rule, candidateRule: result.rule))
        }
    }

    package mutating func merge(_ other: ReplayTally) {
        events += other.events
        candidate.merge(other.candidate)
        timeline.merge(other.timeline)
        candidateRules.merge(other.candidateRules)
        baselineRules.merge(other.baselineRules)
        takeoversLetThrough += other.takeoversLetThrough.prefix(Self.maxTakeoverExamples - takeoversLetThrough.count)
        if let otherBaseline = other.baseline { baseline?.merge(otherBaseline) }
        for i in transitions.indices where i < other.transitions.count { transitions[i] += other.transitions[i] }
        for i in examples.indices where i < other.examples.count {
            examples[i].append(contentsOf: other.examples[i].prefix(Self.examplesPerCell - examples[i].count))
        }
    }

    /// The report for this tally plus the run's facts the tally does not hold.
    package func report(lines: Int, badLines: Int, badLineExamples: [BadLine], elapsedSeconds: Double,
                        peakMemoryBytes: Int, candidateRules catalogue: RuleCatalogue? = nil,
                        baselineRules baselineCatalogue: RuleCatalogue? = nil) -> ReplayReport {
        let c = candidate
        let overall = c.overall
        let labels = LabelCounts(legit: c.events(.legit), attack: c.events(.attack),
                                 accountTakeover: c.events(.accountTakeover), unknown: c.events(.unknown))
        func breakdown(_ row: LabelRow) -> OutcomeBreakdown {
            let total = c.events(row)
            return OutcomeBreakdown(events: total, outcomes: OutcomeCounts { c.count(row, $0) },
                                    shares: OutcomeShares { DeciderTally.ratio(c.count(row, $0), total) ?? 0 },
                                    nonPassiveShare: DeciderTally.ratio(total - c.count(row, .passive), total))
        }
        var byChannel: [String: ChannelBreakdown] = [:]
        for (name, counts) in c.channels {
            func n(_ row: LabelRow, _ o: Outcome) -> Int { counts[row.rawValue * 5 + o.rank] }
            func rowTotal(_ row: LabelRow) -> Int { Outcome.allCases.reduce(0) { $0 + n(row, $1) } }
            let outcomes = OutcomeCounts { n(.legit, $0) + n(.attack, $0) + n(.unknown, $0) }
            let total = Outcome.allCases.reduce(0) { $0 + outcomes[$1] }
            byChannel[name] = ChannelBreakdown(
                events: total, outcomes: outcomes, shares: OutcomeShares { DeciderTally.ratio(outcomes[$0], total) ?? 0 },
                labels: LabelCounts(legit: rowTotal(.legit), attack: rowTotal(.attack),
                                    accountTakeover: rowTotal(.accountTakeover), unknown: rowTotal(.unknown)),
                legitFriction: DeciderTally.ratio(rowTotal(.legit) - n(.legit, .passive), rowTotal(.legit)),
                attackStopRate: DeciderTally.ratio(rowTotal(.attack) - n(.attack, .passive), rowTotal(.attack)),
                takeoversLetThrough: n(.accountTakeover, .passive))
        }
        let bins = 20
        let histograms = ScoreHistograms(
            binWidth: 100 / Double(bins),
            legit: ScoreBuckets.coarse(c.scoreBuckets(.legit), bins: bins),
            attack: ScoreBuckets.coarse(c.scoreBuckets(.attack), bins: bins),
            accountTakeover: ScoreBuckets.coarse(c.scoreBuckets(.accountTakeover), bins: bins),
            unknown: ScoreBuckets.coarse(c.scoreBuckets(.unknown), bins: bins))
        var comparison: BaselineComparison?
        if let b = baseline {
            var cells: [TransitionCell] = []
            var changed = 0
            for from in Outcome.allCases {
                for to in Outcome.allCases {
                    let cell = from.rank * 5 + to.rank
                    func t(_ row: LabelRow) -> Int { transitions[row.rawValue * 25 + cell] }
                    let total = t(.legit) + t(.attack) + t(.unknown)
                    guard total > 0 else { continue }
                    if from != to { changed += total }
                    cells.append(TransitionCell(
                        from: from, to: to,
                        labels: LabelCounts(legit: t(.legit), attack: t(.attack), accountTakeover: t(.accountTakeover), unknown: t(.unknown)),
                        total: total, examples: examples[cell]))
                }
            }
            comparison = BaselineComparison(outcomes: b.overall, legitFriction: b.legitFriction, attackStopRate: b.attackStopRate,
                                            takeoversLetThrough: b.takeoversLetThrough, scoreAUC: b.auc,
                                            changed: changed, transitions: cells)
        }
        return ReplayReport(
            events: events, lines: lines, outcomes: overall,
            outcomeShares: OutcomeShares { DeciderTally.ratio(overall[$0], events) ?? 0 },
            labels: labels, legitFriction: c.legitFriction, attackStopRate: c.attackStopRate,
            takeoversLetThrough: c.takeoversLetThrough, scoreAUC: c.auc, badLines: badLines,
            badLineExamples: badLineExamples,
            eventsPerSecond: elapsedSeconds > 0 ? Double(events) / elapsedSeconds : 0,
            elapsedSeconds: elapsedSeconds, peakMemoryBytes: peakMemoryBytes,
            byLabel: LabelBreakdown(legit: breakdown(.legit), attack: breakdown(.attack),
                                    accountTakeover: breakdown(.accountTakeover), unknown: breakdown(.unknown)),
            byChannel: byChannel,
            roc: ScoreBuckets.roc(positives: c.scoreBuckets(.attack), negatives: c.scoreBuckets(.legit)),
            scoreHistograms: histograms, baseline: comparison,
            timeline: timeline.points(withBaseline: baseline != nil),
            thresholds: ScoreThresholds(legit: c.scoreBuckets(.legit), attack: c.scoreBuckets(.attack)),
            rules: ruleReports(catalogue, baselineCatalogue), takeoversLetThroughExamples: takeoversLetThrough)
    }

    /// Every rule of either policy (and any other rule that decided), keyed by id.
    func ruleReports(_ catalogue: RuleCatalogue?, _ baselineCatalogue: RuleCatalogue?) -> [String: RuleReport] {
        let mine = candidateRules.counts(catalogue)
        let theirs = baseline != nil ? baselineRules.counts(baselineCatalogue) : [:]
        var reports: [String: RuleReport] = [:]
        for (id, counts) in mine { reports[id] = RuleReport(counts, baseline: theirs[id]) }
        for (id, counts) in theirs where reports[id] == nil {
            // A rule only the baseline has: nothing under the candidate.
            let none = RuleCounts(kind: counts.kind, labels: LabelCounts(legit: 0, attack: 0, accountTakeover: 0, unknown: 0),
                                  uniqueCatches: counts.kind == .decide ? 0 : nil,
                                  points: counts.kind == .score ? LabelPoints(legit: 0, attack: 0, accountTakeover: 0, unknown: 0) : nil)
            var report = RuleReport(none, baseline: counts)
            report.neverMatched = (report.baseline?.matched ?? 0) == 0
            reports[id] = report
        }
        return reports
    }
}
