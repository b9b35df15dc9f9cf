import RiskGateEngine
import RiskGatePolicy

/// Policy YAML: diagnostics or a compiled policy, never both, never a crash.
///
/// Goes in where `riskgate check` does after reading the file (bytes that are not UTF-8 are one
/// `RG1009` there and never reach the compiler). List `file:` entries are not read
/// (`baseDirectory: nil`), so a run touches no files. A compiled policy is evaluated once with no
/// signals set, which runs every expression of the graph the compiler built.
enum PolicyCheck {
    static func run(_ bytes: UnsafeRawBufferPointer, _ f: inout Findings) {
        guard let source = String(validating: bytes, as: UTF8.self) else { return }
        let result = PolicyCompiler.compile(source: source, file: "fuzz.yaml", baseDirectory: nil)
        // Counted in bytes: as Characters, "\r\n" is one grapheme that is not "\n", so splitting the
        // String on "\n" counted a CRLF file as one line (found by fuzzing:
        // Fuzz/Corpus/policy/regressions/crlf-line-count.yaml).
        let lines = source.utf8.reduce(1) { $1 == UInt8(ascii: "\n") ? $0 + 1 : $0 }
        for d in result.diagnostics {
            f.require(d.code.hasPrefix("RG") && d.code.count == 6, "diagnostic code `\(d.code)` is not RGnnnn")
            f.require(isMessage(d.message), "diagnostic \(d.code) message is empty: \(d.message.debugDescription)")
            f.require(d.line >= 1 && d.column >= 1, "diagnostic \(d.code) at \(d.line):\(d.column) is not 1-based")
            f.require(d.line <= lines + 1, "diagnostic \(d.code) at line \(d.line) of a \(lines)-line source")
        }
        f.require((result.policy == nil) == result.hasErrors,
                  result.hasErrors ? "both errors and a compiled policy" : "neither an error nor a compiled policy")
        if let policy = result.policy {
            var signals = SignalValues()
            var evaluation = Evaluation()
            policy.evaluate(&signals, into: &evaluation)
        }
    }
}
