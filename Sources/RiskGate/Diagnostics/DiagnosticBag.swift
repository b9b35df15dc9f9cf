/// Collects the diagnostics of one compilation; every stage appends to it, none throws.
package struct DiagnosticBag: Sendable {
    /// The policy file name used in diagnostics.
    package let file: String
    private let lines: [Substring]
    package private(set) var items: [Diagnostic] = []

    package init(file: String, source: String) {
        self.file = file
        self.lines = source.split(separator: "\n", omittingEmptySubsequences: false)
    }

    package var hasErrors: Bool { items.contains { $0.severity == .error } }

    package mutating func error(_ code: DiagnosticCode, _ message: String, at position: SourcePosition, help: String? = nil) {
        add(code, .error, message, at: position, help: help)
    }

    package mutating func warning(_ code: DiagnosticCode, _ message: String, at position: SourcePosition, help: String? = nil) {
        add(code, .warning, message, at: position, help: help)
    }

    package mutating func add(_ code: DiagnosticCode, _ severity: Diagnostic.Severity, _ message: String,
                              at position: SourcePosition, help: String? = nil) {
        var sourceLine: String? = nil
        if position.line >= 1, position.line <= lines.count {
            sourceLine = String(lines[position.line - 1].prefix(400)).trimmingSuffixCR()
        }
        items.append(Diagnostic(code: code.rawValue, severity: severity, message: message, file: file,
                                line: position.line, column: position.column, help: help, sourceLine: sourceLine))
    }

    /// A diagnostic in another file (a list file), with that file's line text.
    package mutating func error(_ code: DiagnosticCode, _ message: String, file: String, line: Int, column: Int,
                                sourceLine: String?, help: String? = nil) {
        items.append(Diagnostic(code: code.rawValue, severity: .error, message: message, file: file,
                                line: line, column: column, help: help, sourceLine: sourceLine))
    }

    /// All diagnostics, sorted by position, without exact duplicates.
    package func sorted() -> [Diagnostic] {
        var seen = Set<Diagnostic>()
        return items.filter { seen.insert($0).inserted }.sorted(by: Diagnostic.byPosition)
    }
}

extension String {
    func trimmingSuffixCR() -> String {
        hasSuffix("\r") ? String(dropLast()) : self
    }
}
