/// One problem found in a policy: a stable code, where it is, and how to fix it.
///
/// Diagnostics are values collected by every compiler stage and reported all at once,
/// sorted by position (see ``PolicyCompiler``). Codes are documented in `docs/diagnostics.md`.
public struct Diagnostic: Sendable, Hashable, Codable {
    /// How bad a problem is: errors stop a policy from compiling, warnings do not (unless `--strict`).
    public enum Severity: String, Sendable, Hashable, Codable, Comparable {
        case error
        case warning

        public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs == .error && rhs == .warning }
    }

    /// Stable identifier, e.g. `RG1301`; never reused for another meaning.
    public var code: String
    public var severity: Severity
    /// One lowercase line, no final period, user input in backticks.
    public var message: String
    /// The file the problem is in (a list file for bad list lines).
    public var file: String
    /// 1-based line.
    public var line: Int
    /// 1-based column, in Unicode scalars.
    public var column: Int
    /// How to fix it, e.g. "did you mean `geo.velocity_kmh`?".
    public var help: String?
    /// The text of the offending line, for the caret display: the whole line, or for a long line
    /// an excerpt of at most ``excerptLength`` scalars around `column`.
    public var sourceLine: String?
    /// How many Unicode scalars of the line come before `sourceLine` (0 unless the line was long
    /// and the column far along it).
    public var sourceLineOffset: Int

    /// Longest source line excerpt kept, in Unicode scalars.
    public static let excerptLength = 400

    public init(code: String, severity: Severity, message: String, file: String, line: Int, column: Int,
                help: String? = nil, sourceLine: String? = nil, sourceLineOffset: Int = 0) {
        self.code = code; self.severity = severity; self.message = message; self.file = file
        self.line = line; self.column = column; self.help = help; self.sourceLine = sourceLine
        self.sourceLineOffset = sourceLineOffset
    }

    /// At most ``excerptLength`` scalars of `line` (without its line break) that include the 1-based
    /// `column`, and how many scalars come before them: a caret far along a minified or generated
    /// line still points at the right place.
    public static func excerpt(of line: Substring, column: Int) -> (text: String, offset: Int) {
        let scalars = line.unicodeScalars
        let count = scalars.count
        guard count > excerptLength else { return (String(line), 0) }
        let wanted = max(0, column - 1 - excerptLength / 2)
        let offset = min(wanted, count - excerptLength)
        let start = scalars.index(scalars.startIndex, offsetBy: offset)
        let end = scalars.index(start, offsetBy: excerptLength)
        return (String(scalars[start..<end]), offset)
    }

    enum CodingKeys: String, CodingKey {
        case code, severity, message, file, line, column, help
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        code = try c.decode(String.self, forKey: .code)
        severity = try c.decode(Severity.self, forKey: .severity)
        message = try c.decode(String.self, forKey: .message)
        file = try c.decode(String.self, forKey: .file)
        line = try c.decode(Int.self, forKey: .line)
        column = try c.decode(Int.self, forKey: .column)
        help = try c.decodeIfPresent(String.self, forKey: .help)
        sourceLine = nil
        sourceLineOffset = 0
    }

    /// Encodes the JSON shape of docs/diagnostics.md: `help` is always present (`null` when there is none).
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(code, forKey: .code)
        try c.encode(severity, forKey: .severity)
        try c.encode(message, forKey: .message)
        try c.encode(file, forKey: .file)
        try c.encode(line, forKey: .line)
        try c.encode(column, forKey: .column)
        try c.encode(help, forKey: .help)
    }

    /// Orders diagnostics by file, then position, then code, so output is stable.
    static func byPosition(_ a: Diagnostic, _ b: Diagnostic) -> Bool {
        if a.file != b.file { return a.file < b.file }
        if a.line != b.line { return a.line < b.line }
        if a.column != b.column { return a.column < b.column }
        return a.code < b.code
    }
}
