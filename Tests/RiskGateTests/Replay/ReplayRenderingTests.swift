import Foundation
import Testing
@testable import RiskGateEngine
@testable import RiskGatePolicy
@testable import RiskGateReplay

@Suite struct ReplayRenderingTests {
    @Test func jsonHasEverySpecKey() throws {
        let (report, _, _) = try ReplayHarnessTests.run(withBaseline: true)
        let data = try JSONEncoder().encode(report)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        for key in ["events", "outcomes", "labels", "legit_friction", "attack_stop_rate", "takeovers_let_through",
                    "score_auc", "bad_lines", "events_per_second", "peak_memory_bytes"] {
            #expect(object[key] != nil, "missing key \(key)")
        }
        let outcomes = try #require(object["outcomes"] as? [String: Any])
        #expect(Set(outcomes.keys) == ["passive", "otp", "otp_kba_delay", "agent_escalation", "deny"])
        let labels = try #require(object["labels"] as? [String: Any])
        #expect(Set(labels.keys) == ["legit", "attack", "account_takeover", "unknown"])
        #expect(object["events"] as? Int == 10)
        #expect(object["takeovers_let_through"] as? Int == 1)
        #expect((object["score_auc"] as? Double) == 0.78125)
        let baseline = try #require(object["baseline"] as? [String: Any])
        #expect(baseline["transitions"] is [Any])
        // Round trip.
        #expect(try JSONDecoder().decode(ReplayReport.self, from: data) == report)
    }

    func hostileReport() throws -> ReplayReport {
        let evil = "<script>alert(1)</script>"
        let text = #"{"id":"<img src=x onerror=alert(1)>","user":"\#(evil)","time":"2026-01-01T00:00:00Z","channel":"<b>chan</b>\u001b[31m","label":{"attack":true}}"#
            + "\n" + #"{"id":"x2","user":"\"quoted'&amp","time":"2026-01-01T00:00:01Z","label":{"attack":false}}"# + "\n<svg onload=alert(1)>\n"
        let reader = try EventReader(path: try temporaryFile(text))
        final class Flip: ReplayDecider {
            let outcome: Outcome
            init(_ outcome: Outcome) { self.outcome = outcome }
            func replay(_ event: RequestContext, attackerFailsChallenges: Bool) throws -> ReplayResult {
                ReplayResult(outcome: outcome, score: 50, rule: "<i>rule</i>")
            }
        }
        return try ReplayHarness.run(reader: reader, candidate: Flip(.deny), baseline: Flip(.passive))
    }

    @Test func htmlEscapesDatasetText() throws {
        let html = ReplayHTMLRenderer.render(try hostileReport(), title: "t <b>")
        #expect(!html.contains("<script>alert"))
        #expect(!html.contains("<img src=x"))
        #expect(!html.contains("<b>chan"))
        #expect(!html.contains("<i>rule"))
        #expect(!html.contains("<svg onload"))
        #expect(!html.contains("\u{1b}"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(html.contains("&lt;img src=x onerror=alert(1)&gt;"))
        #expect(html.contains("&quot;quoted&#39;&amp;amp"))
        #expect(html.contains("&lt;b&gt;chan&lt;/b&gt;"))
        // Self-contained: nothing loaded from elsewhere, no scripts at all.
        #expect(!html.contains("<script"))
        #expect(!html.contains("http://") && !html.contains("https://"))
        #expect(!html.contains("<link") && !html.contains("@import") && !html.contains("url("))
        #expect(html.contains("<svg"))
    }

    @Test func tableIsTerminalSafeAndAligned() throws {
        let table = ReplayTableRenderer.render(try hostileReport())
        #expect(!table.contains("\u{1b}"))
        #expect(table.contains("<b>chan</b>?[31m"))
        let outcomeLines = table.split(separator: "\n").filter { $0.hasPrefix("otp ") || $0.hasPrefix("deny ") || $0.hasPrefix("passive ") }
        #expect(outcomeLines.count >= 3)
        #expect(Set(outcomeLines.prefix(3).map(\.count)).count == 1, "columns should line up: \(outcomeLines)")
        #expect(table.contains("bad lines: 1"))
    }

    @Test func formattingHelpers() {
        #expect(ReportFormatting.count(1234567) == "1,234,567")
        #expect(ReportFormatting.count(999) == "999")
        #expect(ReportFormatting.percent(0.25) == "25.0%")
        #expect(ReportFormatting.percent(nil) == "n/a")
        #expect(ReportFormatting.html("a<b>&\"'") == "a&lt;b&gt;&amp;&quot;&#39;")
    }
}

/// Scores events by a fixed formula of their fields and maps score bands to outcomes, so a
/// baseline and a candidate with different bands give a realistic-looking diff.
final class BandDecider: ReplayDecider {
    let bands: [(Double, Outcome)]
    init(bands: [(Double, Outcome)]) { self.bands = bands }
    func replay(_ event: RequestContext, attackerFailsChallenges: Bool) throws -> ReplayResult {
        var rng = SeededRandom(seed: UInt64(truncatingIfNeeded: (event.id ?? "").utf8.reduce(5381) { $0 &* 33 &+ Int($1) }))
        let base = event.label?.isAttack == true ? 55.0 : 20.0
        let score = max(0, min(100, base + Double.random(in: -30...30, using: &rng) + Double.random(in: -15...15, using: &rng)))
        let outcome = bands.first { score >= $0.0 }?.1 ?? .passive
        return ReplayResult(outcome: outcome, score: (score * 100).rounded() / 100, rule: "band-\(outcome.rawValue)")
    }
}

@Suite struct ReplayHTMLSampleTests {
    /// Writes a sample page to `$RISKGATE_REPLAY_HTML_OUT` for looking at in a browser.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["RISKGATE_REPLAY_HTML_OUT"] != nil))
    func writeSamplePage() throws {
        var rng = SeededRandom(seed: 9)
        var lines: [String] = []
        let channels = ["web", "app", "chat", "voice", "<b>agent</b>"]
        for i in 0..<20_000 {
            let attack = Int.random(in: 0..<10, using: &rng) == 0
            let takeover = attack && Bool.random(using: &rng)
            let label = Int.random(in: 0..<20, using: &rng) == 0 ? "" : #","label":{"attack":\#(attack),"account_takeover":\#(takeover)}"#
            let time = Timestamp.format(Date(timeIntervalSince1970: 1_790_000_000 + Double(i)))
            lines.append(#"{"id":"evt-\#(i)<x>","user":"u-\#(i % 997)","time":"\#(time)","channel":"\#(channels.randomElement(using: &rng)!)"\#(label)}"#)
            if i % 5000 == 17 { lines.append("{broken") }
        }
        let reader = try EventReader(path: try temporaryFile(lines.joined(separator: "\n")))
        let candidate = BandDecider(bands: [(85, .deny), (70, .agentEscalation), (55, .otpKbaDelay), (35, .otp)])
        let baseline = BandDecider(bands: [(90, .deny), (60, .otp)])
        let report = try ReplayHarness.run(reader: reader, candidate: candidate, baseline: baseline)
        let path = try #require(ProcessInfo.processInfo.environment["RISKGATE_REPLAY_HTML_OUT"])
        try ReplayHTMLRenderer.render(report, title: "RiskGate replay: sample").write(toFile: path, atomically: true, encoding: .utf8)
        print(ReplayTableRenderer.render(report))
    }
}
