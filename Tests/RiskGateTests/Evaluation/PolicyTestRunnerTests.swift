import Foundation
import Testing
@testable import RiskGateEngine
@testable import RiskGatePolicy

/// Test files that test nothing, or cases the runner would misread, are errors naming the file,
/// the case and the field, never a silent pass.
@Suite struct PolicyTestRunnerTests {
    static let policy = """
    riskgate: 1
    policy: t
    decide:
      - { id: banned, when: account.banned, outcome: deny }
      - { id: default, outcome: passive }

    """

    /// Runs `tests` as a test file next to ``policy``.
    func run(_ tests: String) throws -> PolicyTestRunner.FileResult {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rg-runner-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try Self.policy.write(to: directory.appendingPathComponent("p.yaml"), atomically: true, encoding: .utf8)
        let path = directory.appendingPathComponent("p.test.yaml")
        try tests.write(to: path, atomically: true, encoding: .utf8)
        return PolicyTestRunner().run(path: path.path)
    }

    /// An empty test file once ran zero cases and passed ("0 passed, 0 failed", exit 0).
    @Test(arguments: ["", "# nothing yet\n", "policy: p.yaml\ncases: []\n"])
    func fileWithoutCasesIsAnError(source: String) throws {
        let result = try run(source)
        #expect(!result.passed)
        #expect(result.cases.isEmpty)
        let diagnostic = try #require(result.diagnostics.first)
        #expect(diagnostic.severity == .error)
        #expect(diagnostic.file.hasSuffix("p.test.yaml"))
        #expect(diagnostic.code == (source.contains("cases") ? "RG1108" : "RG1010"))
    }

    /// The one failure of the single case in `cases`.
    func failure(_ cases: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let result = try run("policy: p.yaml\ncases:\n" + cases)
        #expect(result.diagnostics.isEmpty, sourceLocation: sourceLocation)
        #expect(!result.passed, sourceLocation: sourceLocation)
        let failed = result.cases.filter { !$0.passed }
        #expect(failed.count == 1, sourceLocation: sourceLocation)
        return failed.first?.failures.joined(separator: "\n") ?? ""
    }

    @Test func contextWithoutUserFails() throws {
        let message = try failure("  - { name: anonymous, context: { channel: web }, expect: { outcome: passive } }\n")
        #expect(message == "line 3: `context` has no `user`; every request names its account, e.g. `user: u-1`")
        let history = try failure("  - { name: h, history: [{ user: u }, { channel: web }], context: { user: u }, expect: { outcome: passive } }\n")
        #expect(history.hasSuffix("`history[1]` has no `user`; every request names its account, e.g. `user: u-1`"))
    }

    @Test func historyThatIsNotAListFails() throws {
        let message = try failure("  - { name: h, history: { a: 1 }, context: { user: u }, expect: { outcome: passive } }\n")
        #expect(message == "line 3: `history` must be a list of earlier requests, not a mapping")
    }

    @Test func emptyExpectationFails() throws {
        let message = try failure("  - { name: e, context: { user: u }, expect: {} }\n")
        #expect(message == "line 3: `expect` is empty, so the case would pass whatever the policy decides")
    }

    @Test func duplicateCaseNamesFail() throws {
        let result = try run("""
        policy: p.yaml
        cases:
          - { name: same, context: { user: u }, expect: { outcome: passive } }
          - { name: same, context: { user: u, signals: { account.banned: true } }, expect: { outcome: deny } }

        """)
        #expect(result.cases.map(\.passed) == [true, false])
        #expect(result.cases.last?.failures == ["line 4: case name `same` is already used by the case at line 3; names must be unique"])
    }

    /// A type error once printed Swift's `DecodingError.typeMismatch(... Dictionary<String, Any> ...)`.
    @Test(arguments: [
        ("{ user: u, geo: 5 }", "line 3: `context.geo` must be a mapping"),
        ("{ user: u, geo: { lat: north } }", "line 3: `context.geo.lat` must be a number"),
        ("{ user: [u] }", "line 3: `context.user` must be text"),
        ("{ user: u, typing: { field: p, keys: [{ down: 1 }] } }", "line 3: `context.typing.keys[0].up` is missing"),
        ("{ user: u, result: maybe }", "line 3: `context.result` must be `success` or `failure`"),
        ("[u]", "line 3: `context` must be a mapping of request fields, not a list"),
    ])
    func typeErrorsNameTheField(context: String, expected: String) throws {
        let message = try failure("  - { name: typed, context: \(context), expect: { outcome: passive } }\n")
        #expect(message == expected)
        #expect(!message.contains("DecodingError"))
    }

    @Test func wellFormedCasesStillPass() throws {
        let result = try run("""
        policy: p.yaml
        cases:
          - { name: quiet, history: [{ user: u }], context: { user: u }, expect: { outcome: passive } }
          - { name: banned, context: { user: u, signals: { account.banned: true } }, expect: { outcome: deny, rule: banned } }

        """)
        #expect(result.passed, "\(result.cases.flatMap(\.failures))")
        #expect(result.cases.count == 2)
    }

    /// "Cases of context + expected outcome/rule" (README.md) is written in several ways; each is read
    /// the same, and each checks what it names (the second case of every pair must fail).
    @Test(arguments: [
        "expect: { outcome: deny, rule: banned }",
        "expected: { outcome: deny, rule: banned }",
        "outcome: deny, rule: banned",
        "expect: deny",
        "expected: deny",
    ])
    func expectationsMayBeWrittenSeveralWays(expectation: String) throws {
        let wrong = expectation.replacingOccurrences(of: "deny", with: "passive")
        let result = try run("""
        policy: p.yaml
        cases:
          - { name: right, context: { user: u, signals: { account.banned: true } }, \(expectation) }
          - { name: wrong, context: { user: u, signals: { account.banned: true } }, \(wrong) }

        """)
        #expect(result.diagnostics.isEmpty)
        #expect(result.cases.map(\.passed) == [true, false], "\(result.cases.flatMap(\.failures))")
        #expect(result.cases.last?.failures == ["line 4: outcome: expected `passive`, got `deny` (rule `banned`)"])
    }

    @Test(arguments: [
        ("expect: { outcome: deny }, rule: banned", "line 3: `rule` is given both in the case and under `expect`; give it once, under `expect`"),
        ("expect: { outcome: deny }, expected: { rule: banned }", "line 3: case has both `expect` and `expected`; give one"),
        ("expectd: { outcome: deny }", "line 3: unknown key `expectd` in a case (did you mean `expect`?)"),
        ("expect: [deny]", "line 3: `expect` must be a mapping such as `{ outcome: otp, rule: medium }`, not a list"),
        ("name2: x", "line 3: unknown key `name2` in a case (did you mean `name`?)"),
    ])
    func ambiguousOrMisspeltExpectationsFail(expectation: String, expected: String) throws {
        let message = try failure("  - { name: e, context: { user: u }, \(expectation) }\n")
        #expect(message == expected)
    }
}
