import Foundation

/// Renders diagnostics for people (`file:line:col: error[RG1234]: message`, source line, caret, help)
/// or as the JSON array of docs/diagnostics.md.
public enum DiagnosticRenderer {
    /// The human form, one block per diagnostic, separated by blank lines.
    public static func human(_ diagnostics: [Diagnostic]) -> String {
        diagnostics.map(human).joined(separator: "\n")
    }

    /// One diagnostic in the human form, ending with a newline.
    public static func human(_ d: Diagnostic) -> String {
        var text = "\(d.file):\(d.line):\(d.column): \(d.severity.rawValue)[\(d.code)]: \(d.message)\n"
        if let line = d.sourceLine {
            let gutter = String(d.line)
            let pad = String(repeating: " ", count: gutter.count)
            text += "\(pad) |\n"
            // An excerpt of a long line starts with an ellipsis, which takes one column.
            let lead = d.sourceLineOffset > 0 ? "…" : ""
            text += "\(gutter) | \(lead)\(line.replacingTabs())\n"
            let caretOffset = max(0, min(d.column - 1 - d.sourceLineOffset, line.unicodeScalars.count)) + (lead.isEmpty ? 0 : 1)
            text += "\(pad) | \(String(repeating: " ", count: caretOffset))^\n"
        }
        if let help = d.help {
            text += "  = help: \(help)\n"
        }
        return text
    }

    /// The JSON array `[{"code", "severity", "message", "file", "line", "column", "help"}]`.
    public static func json(_ diagnostics: [Diagnostic]) -> String {
        // Foundation pretty-prints an empty array as `[`, a blank line, `]`.
        guard !diagnostics.isEmpty else { return "[]" }
        guard let bytes = try? JSONWriter.encode(diagnostics, pretty: true) else { return "[]" }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `2 errors, 1 warning`-style summary.
    public static func summary(_ diagnostics: [Diagnostic]) -> String {
        let errors = diagnostics.filter { $0.severity == .error }.count
        let warnings = diagnostics.count - errors
        func plural(_ n: Int, _ word: String) -> String { "\(n) \(word)\(n == 1 ? "" : "s")" }
        return "\(plural(errors, "error")), \(plural(warnings, "warning"))"
    }
}

extension String {
    /// Tabs become one space so the caret stays under the right column.
    fileprivate func replacingTabs() -> String {
        String(String.UnicodeScalarView(unicodeScalars.map { $0 == "\t" ? " " : $0 }))
    }
}
