import Foundation
import Testing
@testable import RiskGatePolicy

/// Broken policies with the exact diagnostics (code, line, column) they must produce, and the
/// shipped example policies, which must compile without any diagnostic.
@Suite struct DiagnosticCorpusTests {
    static let corpus: URL = Bundle.module.resourceURL!.appendingPathComponent("Corpus")
    static let policies = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("policies")

    static var cases: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: corpus.path)) ?? []).filter { $0.hasSuffix(".yaml") }.sorted()
    }

    @Test(arguments: cases)
    func producesExactlyTheExpectedDiagnostics(file: String) throws {
        let path = Self.corpus.appendingPathComponent(file).path
        let expectedText = try String(contentsOfFile: path.replacingOccurrences(of: ".yaml", with: ".expected"), encoding: .utf8)
        let expected = expectedText.split(separator: "\n").map(String.init)
        let result = PolicyCompiler.compile(path: path)
        let actual = result.diagnostics.map { "\($0.code) \($0.line):\($0.column)" }
        #expect(actual == expected, "\(DiagnosticRenderer.human(result.diagnostics))")
        #expect(result.policy == nil || !result.hasErrors)
    }

    @Test func tenMistakesGiveTenDistinctCodes() {
        let result = PolicyCompiler.compile(path: Self.corpus.appendingPathComponent("ten-mistakes.yaml").path)
        #expect(Set(result.diagnostics.map(\.code)).count >= 10)
        #expect(result.diagnostics == result.diagnostics.sorted(by: Diagnostic.byPosition))
        #expect(result.policy == nil)
    }

    @Test(arguments: ["web-login.yaml", "contact-centre.yaml", "high-risk-actions.yaml"])
    func examplePoliciesAreClean(file: String) throws {
        let result = PolicyCompiler.compile(path: Self.policies.appendingPathComponent(file).path)
        #expect(result.diagnostics.isEmpty, "\(DiagnosticRenderer.human(result.diagnostics))")
        let policy = try #require(result.policy)
        #expect(policy.hash.hasPrefix("sha256:") && policy.hash.count == 71)
        #expect(!policy.usedSignals.isEmpty)
    }

    @Test func humanRenderingShowsLineCaretAndHelp() {
        let source = "riskgate: 1\npolicy: p\ndecide:\n  - { id: a, when: devce.new, outcome: otp }\n  - { id: b, outcome: passive }\n"
        let result = PolicyCompiler.compile(source: source, file: "p.yaml", baseDirectory: nil)
        let text = DiagnosticRenderer.human(result.diagnostics)
        #expect(text.hasPrefix("p.yaml:4:20: error[RG1301]: unknown signal or setting `devce.new`\n"))
        #expect(text.contains("4 |   - { id: a, when: devce.new, outcome: otp }\n  |                    ^\n"))
        #expect(text.contains("help: did you mean `device.new`?"))
        let json = DiagnosticRenderer.json(result.diagnostics)
        let decoded = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]]
        #expect(decoded?.first?["code"] as? String == "RG1301")
        #expect(decoded?.first?.keys.sorted() == ["code", "column", "file", "help", "line", "message", "severity"])
        // A clean policy is `[]` (Foundation pretty-printed it as `[`, a blank line, `]`).
        #expect(DiagnosticRenderer.json([]) == "[]")
    }

    /// `\r\n` is one `Character`: lines must still be found (they once were not, and such files
    /// lost their source lines and carets), and the `\r` must not reach the rendering.
    @Test(arguments: ["\n", "\r\n"])
    func sourceLinesAreFoundWithEitherLineEnding(newline: String) {
        let source = ["riskgate: 1", "policy: p", "decide:", "  - { id: a, when: devce.new, outcome: otp }",
                      "  - { id: b, when: ip.country == \"É\" and devce.old, outcome: otp }",
                      "  - { id: c, outcome: passive }", ""].joined(separator: newline)
        let result = PolicyCompiler.compile(source: source, file: "p.yaml", baseDirectory: nil)
        let text = DiagnosticRenderer.human(result.diagnostics)
        #expect(text.contains("4 |   - { id: a, when: devce.new, outcome: otp }\n  |                    ^\n"))
        #expect(text.contains("5 |   - { id: b, when: ip.country == \"É\" and devce.old, outcome: otp }\n"))
        #expect(!text.contains("\r"))
    }

    @Test func everyCodeIsDocumented() throws {
        let docs = try String(contentsOf: Self.policies.deletingLastPathComponent().appendingPathComponent("docs/diagnostics.md"), encoding: .utf8)
        for code in DiagnosticCode.allCases { #expect(docs.contains("## \(code.rawValue)"), "\(code) is not documented") }
        #expect(Set(DiagnosticCode.allCases.map(\.rawValue)).count == DiagnosticCode.allCases.count)
    }
}
