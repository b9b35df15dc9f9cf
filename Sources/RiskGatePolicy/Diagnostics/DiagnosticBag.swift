/// Collects the diagnostics of one compilation; every stage appends to it, none throws.
package struct DiagnosticBag: Sendable {
    /// The policy file name used in diagnostics.
    package let file: String
    private let source: String
    /// UTF-8 offset of each line's first byte. Lines end at `\n` bytes, so `\r\n` files split
    /// too (`\r\n` is one `Character`, which a split on `"\n"` would not break at), and finding
    /// them is a byte scan rather than a walk over grapheme clusters.
    private let lineStarts: [Int]
    package private(set) var items: [Diagnostic] = []

    package init(file: String, source: String) {
        self.file = file
        self.source = source
        var starts = [0]
        var offset = 0
        for byte in source.utf8 {
            offset += 1
            if byte == UInt8(ascii: "\n") { starts.append(offset) }
        }
        self.lineStarts = starts
    }

    /// The text of 1-based line `line` without its line break, or of a long line an excerpt
    /// around `column` (``Diagnostic/excerpt(of:column:)``).
    private func sourceLine(_ line: Int, column: Int) -> (text: String, offset: Int)? {
        guard line >= 1, line <= lineStarts.count else { return nil }
        let utf8 = source.utf8
        let start = utf8.index(utf8.startIndex, offsetBy: lineStarts[line - 1])
        let end = line < lineStarts.count ? utf8.index(utf8.startIndex, offsetBy: lineStarts[line] - 1) : utf8.endIndex
        return Diagnostic.excerpt(of: source[start..<end].droppingCR(), column: column)
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
        let excerpt = sourceLine(position.line, column: position.column)
        items.append(Diagnostic(code: code.rawValue, severity: severity, message: message, file: file,
                                line: position.line, column: position.column, help: help,
                                sourceLine: excerpt?.text, sourceLineOffset: excerpt?.offset ?? 0))
    }

    /// A diagnostic in another file (a list file), with that file's line text.
    package mutating func error(_ code: DiagnosticCode, _ message: String, file: String, line: Int, column: Int,
                                sourceLine: Substring?, help: String? = nil) {
        let excerpt = sourceLine.map { Diagnostic.excerpt(of: $0, column: column) }
        items.append(Diagnostic(code: code.rawValue, severity: .error, message: message, file: file,
                                line: line, column: column, help: help, sourceLine: excerpt?.text,
                                sourceLineOffset: excerpt?.offset ?? 0))
    }

    /// Drops the diagnostics of `code` at `position` in the policy file: a later stage that
    /// reports the same mistake more precisely (a list defined twice, rather than a duplicate
    /// key) replaces the earlier report, so one mistake gives one diagnostic.
    package mutating func remove(_ code: DiagnosticCode, at position: SourcePosition) {
        items.removeAll { $0.code == code.rawValue && $0.file == file && $0.line == position.line && $0.column == position.column }
    }

    /// All diagnostics, sorted by position, without exact duplicates.
    package func sorted() -> [Diagnostic] {
        var seen = Set<Diagnostic>()
        return items.filter { seen.insert($0).inserted }.sorted(by: Diagnostic.byPosition)
    }
}

extension Substring {
    /// The line without a final carriage return (the `\r` of a `\r\n` line ending).
    func droppingCR() -> Substring {
        unicodeScalars.last == "\r" ? Substring(unicodeScalars.dropLast()) : self
    }
}
