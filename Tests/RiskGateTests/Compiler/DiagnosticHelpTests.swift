import Foundation
import Testing
@testable import RiskGatePolicy

/// Every problem comes with a help line that says how to fix it (docs/policy-language.md), and one mistake gives
/// one diagnostic. The policies are the findings of a compiler audit.
@Suite struct DiagnosticHelpTests {
    func compile(_ body: String, header: Bool = true) -> [Diagnostic] {
        let source = (header ? "riskgate: 1\npolicy: p\n" : "") + body
        return PolicyCompiler.compile(source: source, file: "p.yaml", baseDirectory: nil).diagnostics
    }

    /// The one diagnostic `body` gives; fails the test when there is not exactly one.
    func only(_ body: String, header: Bool = true) throws -> Diagnostic {
        let diagnostics = compile(body, header: header)
        #expect(diagnostics.count == 1, "\(DiagnosticRenderer.human(diagnostics))")
        return try #require(diagnostics.first)
    }

    static let decide = "decide:\n  - { id: default, outcome: passive }\n"

    @Test func corpusDiagnosticsAllHaveHelp() throws {
        for file in DiagnosticCorpusTests.cases {
            let result = PolicyCompiler.compile(path: DiagnosticCorpusTests.corpus.appendingPathComponent(file).path)
            for d in result.diagnostics {
                #expect(d.help != nil, "\(file): \(d.code) \(d.line):\(d.column) \(d.message) has no help")
            }
        }
    }

    @Test(arguments: [
        ("score:\n  rules:\n    - { id: a, when: device.new, poinst: 10 }\n" + decide, "points"),
        ("decide:\n  - { idd: a, when: device.new, outcome: otp }\n  - { id: default, outcome: passive }\n", "id"),
        ("decide:\n  - { id: a, when: device.new, outcom: otp }\n  - { id: default, outcome: passive }\n", "outcome"),
        ("decid:\n  - { id: default, outcome: passive }\n", "decide"),
    ])
    func misspeltRequiredKeyIsOneUnknownKey(body: String, key: String) throws {
        let d = try only(body)
        #expect(d.code == "RG1105")
        #expect(d.help == "did you mean `\(key)`? `\(key)` is required here and missing")
    }

    @Test func misspeltTopLevelVersionAndNameAreReportedOnce() {
        let diagnostics = compile("riskgat: 1\npolcy: p\n" + Self.decide, header: false)
        #expect(diagnostics.map(\.code) == ["RG1105", "RG1105"], "\(DiagnosticRenderer.human(diagnostics))")
    }

    @Test func speedComparedWithDurationSaysBothTypes() throws {
        let d = try only("decide:\n  - { id: a, when: geo.velocity_kmh > 30m, outcome: otp }\n  - { id: default, outcome: passive }\n")
        #expect(d.code == "RG1401")
        #expect(d.help == "`geo.velocity_kmh` is a speed and `30m` is a duration: give both sides the same unit, e.g. `900 km/h`")
    }

    @Test func quotedNumberSaysDropTheQuotes() throws {
        let d = try only("decide:\n  - { id: a, when: ip.asn == \"13335\", outcome: otp }\n  - { id: default, outcome: passive }\n")
        #expect(d.code == "RG1401")
        #expect(d.help == "`ip.asn` is a number: drop the quotes, e.g. `ip.asn == 13335`")
    }

    @Test func bandsInTheWrongOrderSuggestSwapping() throws {
        let d = try only("score:\n  rules:\n    - { id: a, when: device.new, points: 10 }\n  bands: { medium: 70, high: 35 }\n" + Self.decide)
        #expect(d.code == "RG1113")
        #expect(d.help == "swap them: `bands: { medium: 35, high: 70 }`")
    }

    @Test func minOfOneValue() throws {
        let d = try only("score:\n  rules:\n    - id: a\n      points: min(10)\n" + Self.decide)
        #expect(d.code == "RG1304")
        #expect(d.help == "`min` of one value is that value: write `10` alone, or add another, e.g. `min(10, 50)`")
    }

    @Test func bareListItemsAreQuotedInTheHelp() throws {
        let d = try only("decide:\n  - id: a\n    when: channel in [chat, voice]\n    outcome: otp\n  - { id: default, outcome: passive }\n")
        #expect(d.code == "RG1406")
        #expect(d.help == "quote each item: `[\"chat\", \"voice\"]`")
    }

    @Test func duplicateListNameIsOneDiagnostic() throws {
        let d = try only("lists:\n  office: { cidrs: [203.0.113.0/24] }\n  office: { cidrs: [198.51.100.0/24] }\n"
            + "decide:\n  - { id: a, when: ip in office, outcome: passive }\n  - { id: default, outcome: otp }\n")
        #expect(d.code == "RG1115")
        #expect((d.line, d.column) == (5, 3))
        #expect(d.help == "first defined at line 4; rename one, or merge their entries into one list")
    }

    @Test func scalarTooLongHasHelp() throws {
        let d = try only("description: " + String(repeating: "x", count: 70_000) + "\n" + Self.decide)
        #expect(d.code == "RG1005")
        #expect(d.help != nil)
    }

    @Test(arguments: ["ip in offfice", "offfice"])
    func misspeltListCountsAsUsed(condition: String) throws {
        let d = try only("lists:\n  office: { cidrs: [203.0.113.0/24] }\n"
            + "decide:\n  - { id: a, when: \(condition), outcome: passive }\n  - { id: default, outcome: otp }\n")
        #expect(d.code == (condition.hasPrefix("ip in") ? "RG1302" : "RG1301"))
        #expect(d.help == "did you mean `office`?")
    }

    @Test(arguments: ["score > 50", "score.band == \"high\"", "device.new and score >= 10"])
    func scoreRuleConditionCannotReadTheScore(condition: String) throws {
        let d = try only("score:\n  rules:\n    - { id: a, when: \(condition), points: 10 }\n" + Self.decide)
        #expect(d.code == "RG1405")
        #expect(d.line == 5)
        #expect(d.help?.contains("`decide`") == true)
    }

    @Test func unquotedBracketInFlowMappingSuggestsQuoting() throws {
        let d = try only("score:\n  rules:\n    - { id: s3, when: ip.address in [\"192.0.2.0/24\"], points: 1 }\n" + Self.decide)
        #expect(d.code == "RG1001")
        #expect(d.help?.hasSuffix("quote the expression, e.g. `when: 'ip.address in [\"192.0.2.0/24\"]'`") == true, "\(d.help ?? "")")
    }

    @Test func unclosedFlowMappingSaysCloseIt() throws {
        let d = try only("decide:\n  - { id: a, outcome: otp\n  - { id: default, outcome: passive }\n")
        #expect(d.code == "RG1001")
        #expect(d.help?.hasPrefix("close each `{` with `}`") == true, "\(d.help ?? "")")
    }

    @Test func quotedVersionSaysItMustBeANumber() throws {
        let d = try only("riskgate: \"1\"\npolicy: p\n" + Self.decide, header: false)
        #expect(d.code == "RG1102")
        #expect(d.message == "the language version must be the number 1, not a string")
        #expect(d.help == "write `riskgate: 1` without quotes")
    }

    @Test func missingListFilePathIsNormalised() throws {
        let source = "riskgate: 1\npolicy: p\nlists:\n  tor: { file: ./no-such-list.txt }\n"
            + "decide:\n  - { id: a, when: ip in tor, outcome: otp }\n  - { id: default, outcome: passive }\n"
        let d = try #require(PolicyCompiler.compile(source: source, file: "p.yaml", baseDirectory: ".").diagnostics.first)
        #expect(d.code == "RG1501")
        #expect(d.help == "paths are relative to the policy file's folder (looked for `no-such-list.txt`)")
        #expect(ResolvedLists.normalised("/a/./b//c") == "/a/b/c")
        #expect(ResolvedLists.normalised("./../x") == "../x")
    }

    @Test func unclosedParenthesisIsPlacedByLineAndColumn() throws {
        let d = try only("decide:\n  - id: a\n    when: (device.new or ip.anonymous\n    outcome: otp\n  - { id: default, outcome: passive }\n")
        #expect(d.code == "RG1202")
        #expect(d.help == "close the `(` at line 5, column 11 with `)`")
    }
}

/// Push approval plans: their settings, the fallback for accounts without an app, number matching.
@Suite struct PushPlanDiagnosticTests {
    func compile(_ challenges: String) -> CompileResult {
        let source = "riskgate: 1\npolicy: p\ndecide:\n  - { id: a, when: device.new, outcome: otp }\n  - { id: default, outcome: passive }\n"
            + "challenges:\n" + challenges
        return PolicyCompiler.compile(source: source, file: "p.yaml", baseDirectory: nil)
    }

    @Test func aPushPlanWithAFallbackIsClean() throws {
        let result = compile("""
              otp: { push: { ttl: 90s }, channels: [sms] }
              fallbacks:
                - { when: not account.has_push_device, replace: push, with: sms }
            """)
        #expect(result.diagnostics.isEmpty, "\(DiagnosticRenderer.human(result.diagnostics))")
        let policy = try #require(result.policy)
        #expect(policy.challenges.otp.push?.ttl == 90 && policy.challenges.otp.push?.numberMatching == true)
        #expect(policy.challenges.fallbacks.first?.replace == "push")
        #expect(policy.usedSignals.contains(.accountHasPushDevice))
    }

    @Test func aPushPlanWithoutAFallbackIsWarnedAbout() throws {
        let result = compile("  otp: { push: {} }\n")
        let d = try #require(result.diagnostics.first)
        #expect(result.diagnostics.count == 1 && d.code == "RG1606" && d.severity == .warning)
        #expect(d.help?.contains("replace: push, with: sms") == true)
        #expect(result.policy?.challenges.otp.push == ChallengePolicy.PushConfig())
    }

    @Test func turningNumberMatchingOffIsWarnedAbout() throws {
        let result = compile("""
              otp_kba_delay: { push: { number_matching: false } }
              fallbacks: [{ replace: push, with: kba }]
            """)
        let d = try #require(result.diagnostics.first)
        #expect(result.diagnostics.count == 1 && d.code == "RG1607" && d.severity == .warning)
        #expect(result.policy?.challenges.otpKbaDelay.push?.numberMatching == false)
    }

    @Test(arguments: [
        ("  otp: { push: { ttl: 2h } }\n  fallbacks: [{ replace: push, with: sms }]\n", "RG1108"),
        ("  otp: { push: { ttl: 0s } }\n  fallbacks: [{ replace: push, with: sms }]\n", "RG1108"),
        ("  otp: { push: { number_matching: yes } }\n  fallbacks: [{ replace: push, with: sms }]\n", "RG1108"),
        ("  otp: { push: { choices: 3 } }\n  fallbacks: [{ replace: push, with: sms }]\n", "RG1105"),
        ("  otp: { push: true }\n  fallbacks: [{ replace: push, with: sms }]\n", "RG1106"),
        ("  otp: { pusj: {} }\n", "RG1105"),
    ])
    func badPushSettingsAreErrors(challenges: String, code: String) throws {
        let result = compile(challenges)
        #expect(result.diagnostics.map(\.code) == [code], "\(DiagnosticRenderer.human(result.diagnostics))")
        #expect(result.diagnostics.allSatisfy { $0.help != nil })
    }
}
