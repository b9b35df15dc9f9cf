import Foundation
import Testing
@testable import RiskGatePolicy

/// The source line under a diagnostic: a long line is cut to an excerpt around the column, so the
/// caret still points at the problem, and lines are found by `\n` bytes in CRLF files too.
@Suite struct SourceExcerptTests {
    /// The rendered source line and caret line of the first diagnostic of `source`.
    func rendered(_ source: String, baseDirectory: String? = nil) -> (line: String, caret: String, diagnostic: Diagnostic)? {
        let result = PolicyCompiler.compile(source: source, file: "p.yaml", baseDirectory: baseDirectory)
        guard let first = result.diagnostics.first else { return nil }
        let lines = DiagnosticRenderer.human(first).split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count >= 4 else { return nil }
        return (String(lines[2]), String(lines[3]), first)
    }

    /// The text above the caret, with the gutter removed.
    func pointedAt(_ r: (line: String, caret: String, diagnostic: Diagnostic)) -> Substring {
        let caretColumn = r.caret.unicodeScalars.firstIndex(of: "^").map { r.caret.unicodeScalars.distance(from: r.caret.unicodeScalars.startIndex, to: $0) } ?? 0
        return Substring(r.line.unicodeScalars.dropFirst(caretColumn))
    }

    @Test func aShortLineIsShownWhole() throws {
        let (text, offset) = Diagnostic.excerpt(of: "when: ip in tor", column: 13)
        #expect(text == "when: ip in tor")
        #expect(offset == 0)
    }

    @Test(arguments: [1, 150, 401, 900, 1_000, 5_000])
    func anExcerptHoldsTheColumn(column: Int) {
        let line = String(repeating: "ab", count: 500)  // 1,000 scalars
        let (text, offset) = Diagnostic.excerpt(of: Substring(line), column: column)
        #expect(text.unicodeScalars.count == Diagnostic.excerptLength)
        let clamped = min(column, 1_000)
        #expect(offset < clamped && clamped <= offset + Diagnostic.excerptLength)
        #expect(offset + Diagnostic.excerptLength <= 1_000)
    }

    /// A misspelt signal at column ~600 of a long condition: the caret stands under it.
    @Test func theCaretPointsIntoALongLine() throws {
        let terms = Array(repeating: "account.failures >= 1", count: 25).joined(separator: " or ")
        let source = """
        riskgate: 1
        policy: p
        decide:
          - { id: long, when: \(terms) or acount.failures >= 2, outcome: deny }
          - { id: default, outcome: passive }

        """
        let r = try #require(rendered(source))
        #expect(r.diagnostic.column > 500)
        #expect(r.diagnostic.sourceLineOffset > 0)
        #expect(r.line.contains("| …"))
        #expect(pointedAt(r).hasPrefix("acount.failures"), "\(DiagnosticRenderer.human(r.diagnostic))")
    }

    @Test func aShortLineHasNoEllipsis() throws {
        let source = "riskgate: 1\npolicy: p\ndecide:\n  - { id: d, when: acount.failures >= 2, outcome: deny }\n  - { id: default, outcome: passive }\n"
        let r = try #require(rendered(source))
        #expect(!r.line.contains("…"))
        #expect(pointedAt(r).hasPrefix("acount.failures"))
    }

    /// A CRLF list file: the bad line's own text is quoted, not the whole file as one line.
    @Test func aBadLineOfACRLFListFileIsQuotedAlone() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rg-excerpt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try "203.0.113.0/24\r\n198.51.100.0/24\r\nnot-an-ip\r\n192.0.2.1\r\n".write(
            to: dir.appendingPathComponent("list.txt"), atomically: true, encoding: .utf8)
        let source = """
        riskgate: 1
        policy: p
        lists:
          x: { file: list.txt }
        decide:
          - { id: listed, when: ip in x, outcome: deny }
          - { id: default, outcome: passive }

        """
        let result = PolicyCompiler.compile(source: source, file: "p.yaml", baseDirectory: dir.path)
        let bad = try #require(result.diagnostics.first { $0.code == "RG1502" })
        #expect(bad.line == 3)
        #expect(bad.sourceLine == "not-an-ip")
    }
}
