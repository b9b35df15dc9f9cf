/// The parsers RiskGate runs on hostile input, each with what must hold for any bytes it is given
/// (docs/fuzzing.md).
///
/// One entry point a target, the one the product calls, so the libFuzzer harnesses
/// (`Fuzz/Harnesses/<name>`) and the corpus replay in `swift test` (RiskGateFuzzTests) check the
/// same thing. A check returns what it found wrong; the harness crashes on a non-empty list (so
/// libFuzzer keeps the input), the test reports it. A crash in the parser itself is a crash in both.
package enum FuzzTarget: String, CaseIterable, Sendable {
    /// Policy YAML bytes → diagnostics or a compiled policy (``PolicyCheck``).
    case policy
    /// `POST /v1/decisions` body → the service's request parser (``RequestCheck``).
    case request
    /// One JSONL line of a replay file (``ReplayCheck``).
    case replay
    /// RBA login data set CSV → the importer (``CSVCheck``).
    case csv
    /// MMDB file → reader, then lookups (``MMDBCheck``).
    case mmdb
    /// A stored user state blob → the binary codec (``StateCheck``).
    case state
    /// Stored audit rows → `riskgate audit verify`'s verifier (``AuditCheck``).
    case audit

    /// What is wrong with how the target handled `bytes`; empty when every property held.
    package func check(_ bytes: UnsafeRawBufferPointer) -> [String] {
        var findings = Findings()
        switch self {
        case .policy: PolicyCheck.run(bytes, &findings)
        case .request: RequestCheck.run(bytes, &findings)
        case .replay: ReplayCheck.run(bytes, &findings)
        case .csv: CSVCheck.run(bytes, &findings)
        case .mmdb: MMDBCheck.run(bytes, &findings)
        case .state: StateCheck.run(bytes, &findings)
        case .audit: AuditCheck.run(bytes, &findings)
        }
        return findings.problems
    }

    /// As ``check(_:)`` for bytes in an array (the corpus replay).
    package func check(_ bytes: [UInt8]) -> [String] {
        bytes.withUnsafeBytes { check($0) }
    }
}

/// Broken properties found while checking one input.
package struct Findings: Sendable {
    package private(set) var problems: [String] = []

    mutating func require(_ condition: Bool, _ problem: @autoclosure () -> String) {
        if !condition { problems.append(problem()) }
    }

    mutating func fail(_ problem: String) { problems.append(problem) }
}

/// A message meant for people says something. (Not "one line": messages quote user text in
/// backticks as given, so a key holding a line break puts one in the message; the service's JSON
/// escapes it, a terminal or a log prints it. See docs/fuzzing.md, "Known gaps".)
func isMessage(_ message: String) -> Bool {
    !message.isEmpty
}
