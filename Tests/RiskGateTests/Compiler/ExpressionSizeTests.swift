import Foundation
import Testing
@testable import RiskGateEngine
@testable import RiskGatePolicy

/// Long expressions are refused by the parser (RG1206) before any recursive pass walks them.
///
/// Chains such as `1+1+...+1` or `min(1, 1, ...)` become trees as deep as they are long; every
/// case below once overflowed the stack (in `TypeChecker.check`, or in `ExpressionProgram.lower`
/// for `min`) and took the whole process down, which is why they run in the test process itself.
@Suite struct ExpressionSizeTests {
    static func policy(points: String = "15", when: String = "device.new") -> String {
        """
        riskgate: 1
        policy: p
        score:
          rules:
            - { id: r, when: device.new, points: '\(points)' }
        decide:
          - { id: a, when: '\(when)', outcome: otp }
          - { id: b, outcome: passive }

        """
    }

    static func chain(_ term: String, _ op: String, count: Int) -> String {
        Array(repeating: term, count: count).joined(separator: op)
    }

    func compile(_ source: String) -> CompileResult {
        PolicyCompiler.compile(source: source, file: "p.yaml", baseDirectory: nil)
    }

    /// The one diagnostic of `source`: RG1206 at the operator past the limit, with caret line and help.
    func expectTooLong(_ source: String, line: Int, column: Int, sourceLocation: SourceLocation = #_sourceLocation) {
        let result = compile(source)
        #expect(result.policy == nil, sourceLocation: sourceLocation)
        #expect(result.diagnostics.map { "\($0.code) \($0.line):\($0.column)" } == ["RG1206 \(line):\(column)"],
                "\(DiagnosticRenderer.human(result.diagnostics).prefix(2000))", sourceLocation: sourceLocation)
        guard let d = result.diagnostics.first else { return }
        #expect(d.severity == .error, sourceLocation: sourceLocation)
        #expect(d.message == "expression is too long: more than \(ExpressionParser.maxOperators) operators", sourceLocation: sourceLocation)
        #expect(d.help?.isEmpty == false, sourceLocation: sourceLocation)
        #expect(d.sourceLine?.isEmpty == false, sourceLocation: sourceLocation)
    }

    /// The column where the expression after `marker` starts on `line` of the template; in a chain
    /// of single-character terms the k-th operator is 2k - 1 columns further.
    static func start(after marker: String, line: Int) -> Int {
        let text = policy().split(separator: "\n", omittingEmptySubsequences: false)[line - 1]
        return text.distance(from: text.startIndex, to: text.range(of: marker)!.upperBound) + 1
    }
    static let pointsColumn = start(after: "points: '", line: 5), whenColumn = start(after: "when: '", line: 7)
    static var pastLimit: Int { 2 * (ExpressionParser.maxOperators + 1) - 1 }

    @Test func tenThousandTermSumInPointsIsRefused() {
        expectTooLong(Self.policy(points: Self.chain("1", "+", count: 10_000)), line: 5, column: Self.pointsColumn + Self.pastLimit)
    }

    @Test(arguments: ["+", "-", "*", "/"])
    func tenThousandTermArithmeticInWhenIsRefused(op: String) {
        expectTooLong(Self.policy(when: Self.chain("1", op, count: 10_000) + " > 3"), line: 7, column: Self.whenColumn + Self.pastLimit)
    }

    @Test(arguments: [" and ", " or "])
    func tenThousandTermLogicIsRefused(op: String) {
        // Unknown one-letter names keep 10,000 terms under the 64 KiB scalar limit; the parser stops first.
        let result = compile(Self.policy(when: Self.chain("x", op, count: 10_000)))
        #expect(result.diagnostics.map(\.code) == ["RG1206"])
    }

    @Test func twentyThousandArgumentMinIsRefused() {
        let source = Self.policy(points: "min(" + Self.chain("1", ",", count: 20_000) + ")")
        // `min(` is four characters; the k-th comma is at offset 4 + 2k - 1.
        expectTooLong(source, line: 5, column: Self.pointsColumn + 4 + Self.pastLimit)
        #expect(compile(source).diagnostics.first?.help?.contains("`min`") == true)
    }

    @Test func chainsNestedInParenthesesCountTogether() {
        // 20 levels of `(... + 1 + ... + 1)` (within the nesting limit), 20 operators each: every
        // chain is short, the tree is not.
        var expression = "1"
        for _ in 0..<20 { expression = "(" + expression + "+" + Self.chain("1", "+", count: 20) + ")" }
        #expect(compile(Self.policy(points: expression)).diagnostics.map(\.code) == ["RG1206"])
        var membership = "device.new"
        for _ in 0..<20 { membership = "(" + membership + " and " + Self.chain("channel in [\"web\"]", " and ", count: 10) + ")" }
        #expect(compile(Self.policy(when: membership)).diagnostics.map(\.code) == ["RG1206"])
    }

    @Test func longValueListsAreNotOperators() {
        let items = (0..<5_000).map { "\"v\($0)\"" }.joined(separator: ", ")
        let result = compile(Self.policy(when: "ip.country in [\(items)]"))
        #expect(result.diagnostics.isEmpty, "\(DiagnosticRenderer.human(result.diagnostics).prefix(2000))")
    }

    /// At the limit everything compiles and evaluates, on a 1 MiB stack: the limit leaves the
    /// recursive passes headroom. Measured in this (debug) build, the deepest pass takes about
    /// 2.8 KB a level (so 257 levels need about 0.7 MiB); optimised frames are several times
    /// smaller, within the 512 KiB of a secondary thread on macOS.
    @Test func expressionAtTheLimitCompilesAndEvaluatesOnASmallStack() throws {
        let terms = ExpressionParser.maxOperators + 1
        let points = Self.chain("account.failures", "+", count: terms)
        let when = Self.chain("account.failures > 0", " and ", count: ExpressionParser.maxOperators / 2)
        let source = Self.policy(points: points, when: when).replacingOccurrences(of: "when: device.new", with: "when: '\(when)'")
        let outcome = onThread(stackSize: 1 << 20) { () -> (CompileResult, Evaluation?, String?) in
            let result = PolicyCompiler.compile(source: source, file: "p.yaml", baseDirectory: nil)
            guard let policy = result.policy else { return (result, nil, nil) }
            var signals = SignalValues()
            signals[Signal(name: "account.failures")!] = .number(0.1)
            var evaluation = Evaluation()
            policy.evaluate(&signals, into: &evaluation)
            let decision = policy.decision(id: "t", signals: signals, evaluation: evaluation, explain: true)
            return (result, evaluation, decision.rule + " " + policy.render(.json).prefix(1))
        }
        #expect(outcome.0.diagnostics.isEmpty, "\(DiagnosticRenderer.human(outcome.0.diagnostics).prefix(2000))")
        let evaluation = try #require(outcome.1)
        #expect(abs(evaluation.score - Double(terms) * 0.1) < 1e-9)
        #expect(outcome.2 == "a {")
    }

    /// Runs `body` on a thread with `stackSize` bytes of stack and waits for it.
    func onThread<T: Sendable>(stackSize: Int, _ body: @escaping @Sendable () -> T) -> T {
        let box = ResultBox<T>()
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            box.value = body()
            done.signal()
        }
        thread.stackSize = stackSize
        thread.start()
        done.wait()
        return box.value!
    }
}

/// Carries a result out of a `Thread`; the semaphore orders the write before the read.
private final class ResultBox<T>: @unchecked Sendable {
    var value: T?
}
