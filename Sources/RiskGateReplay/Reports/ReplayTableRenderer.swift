import RiskGatePolicy

/// Renders a ``ReplayReport`` as aligned plain-text tables for a terminal.
public enum ReplayTableRenderer {
    /// The report as text (ends with a newline). Dataset text (channels, ids, users) is made
    /// terminal-safe: control characters cannot move the cursor or change colours.
    public static func render(_ report: ReplayReport) -> String {
        typealias F = ReportFormatting
        var out = ""
        out += "replay: \(F.count(report.events)) events from \(F.count(report.lines)) lines"
        out += " (\(F.count(report.badLines)) bad) in \(F.fixed(report.elapsedSeconds, 2)) s,"
        out += " \(F.count(Int(report.eventsPerSecond.rounded()))) events/s, peak memory \(F.mebibytes(report.peakMemoryBytes))\n\n"

        // Outcomes overall and per label.
        var rows: [[String]] = [["outcome", "events", "share", "legit", "attack", "takeover", "unknown"]]
        let l = report.byLabel
        for outcome in Outcome.allCases {
            rows.append([outcome.rawValue, F.count(report.outcomes[outcome]), F.percent(report.outcomeShares[outcome]),
                         F.count(l.legit.outcomes[outcome]), F.count(l.attack.outcomes[outcome]),
                         F.count(l.accountTakeover.outcomes[outcome]), F.count(l.unknown.outcomes[outcome])])
        }
        rows.append(["total", F.count(report.events), report.events > 0 ? "100.0%" : "n/a",
                     F.count(report.labels.legit), F.count(report.labels.attack),
                     F.count(report.labels.accountTakeover), F.count(report.labels.unknown)])
        out += F.columns(rows, rightAligned: [1, 2, 3, 4, 5, 6]) + "\n\n"

        // Headline metrics, with the baseline beside them when there is one.
        var metrics: [[String]] = [report.baseline == nil ? ["metric", "candidate"] : ["metric", "candidate", "baseline"]]
        func metric(_ name: String, _ candidate: String, _ baseline: String?) {
            metrics.append(report.baseline == nil ? [name, candidate] : [name, candidate, baseline ?? ""])
        }
        let b = report.baseline
        metric("legit friction", F.percent(report.legitFriction), F.percent(b?.legitFriction))
        metric("attack stop rate", F.percent(report.attackStopRate), F.percent(b?.attackStopRate))
        metric("takeovers let through", F.count(report.takeoversLetThrough), b.map { F.count($0.takeoversLetThrough) })
        metric("score AUC", F.fixed(report.scoreAUC, 4), F.fixed(b?.scoreAUC, 4))
        out += F.columns(metrics, rightAligned: [1, 2]) + "\n\n"

        // Per channel.
        if !report.byChannel.isEmpty {
            var channelRows: [[String]] = [["channel", "events"] + Outcome.allCases.map(\.rawValue) + ["legit friction", "attack stop", "takeovers in"]]
            for (name, c) in report.byChannel.sorted(by: { ($0.value.events, $1.key) > ($1.value.events, $0.key) }) {
                channelRows.append([F.terminalSafe(name, limit: 24), F.count(c.events)] + Outcome.allCases.map { F.count(c.outcomes[$0]) }
                    + [F.percent(c.legitFriction), F.percent(c.attackStopRate), F.count(c.takeoversLetThrough)])
            }
            out += F.columns(channelRows, rightAligned: Set(1...9)) + "\n\n"
        }

        let never = report.rules.filter(\.value.neverMatched).map(\.key).sorted()
        if !never.isEmpty {
            out += "rules that never matched: " + never.map { F.terminalSafe($0, limit: 40) }.joined(separator: ", ") + "\n\n"
        }
        if report.labels.legit > 0 && report.labels.attack > 0 {
            out += "score as a threshold (challenge at score >= cut-off):"
            for pick in report.thresholds.forLegitFriction {
                out += " legit friction < \(F.percent(pick.maxLegitFriction)): "
                out += pick.score.map { "\(F.fixed($0, 0)) (stops \(F.percent(pick.attackStopRate)))" } ?? "none"
                out += pick.maxLegitFriction < 0.05 ? ";" : ""
            }
            out += "\n\n"
        }

        if let b {
            out += "baseline → candidate (rows: baseline outcome, columns: candidate outcome); \(F.count(b.changed)) events changed\n"
            var matrix: [[String]] = [["baseline \\ candidate"] + Outcome.allCases.map(\.rawValue)]
            for from in Outcome.allCases {
                matrix.append([from.rawValue] + Outcome.allCases.map { F.count(b.cell(from: from, to: $0).total) })
            }
            out += F.columns(matrix, rightAligned: Set(1...5)) + "\n"
            let changedCells = b.transitions.filter { $0.from != $0.to }
            if !changedCells.isEmpty {
                out += "\nchanged cells (legit / attack / takeover / unknown) and examples\n"
                for cell in changedCells {
                    out += "  \(cell.from.rawValue) → \(cell.to.rawValue): \(F.count(cell.total))"
                    out += " (\(F.count(cell.labels.legit)) / \(F.count(cell.labels.attack)) / \(F.count(cell.labels.accountTakeover)) / \(F.count(cell.labels.unknown)))\n"
                    for e in cell.examples {
                        out += "    line \(e.line) id=\(F.terminalSafe(e.id ?? "-", limit: 32)) user=\(F.terminalSafe(e.user, limit: 32)) \(e.time) [\(e.label)]"
                        out += " score \(F.fixed(e.baselineScore, 1))→\(F.fixed(e.candidateScore, 1))"
                        out += " rule \(F.terminalSafe(e.baselineRule, limit: 32))→\(F.terminalSafe(e.candidateRule, limit: 32))\n"
                    }
                }
            }
            out += "\n"
        }

        if report.badLines > 0 {
            out += "bad lines: \(F.count(report.badLines))"
            out += report.badLineExamples.count < report.badLines ? " (first \(report.badLineExamples.count) shown)\n" : "\n"
            for bad in report.badLineExamples { out += "  line \(bad.line): \(F.terminalSafe(bad.message, limit: 200))\n" }
        }
        return out
    }
}
