import Testing
@testable import RiskGatePolicy

/// Policies that are valid YAML but say nothing, or set a value that silently switches a
/// safeguard off, are refused with a diagnostic instead of being accepted.
@Suite struct PolicyValueTests {
    static let valid = """
    riskgate: 1
    policy: p
    decide:
      - { id: default, outcome: passive }

    """

    func compile(_ source: String) -> CompileResult {
        PolicyCompiler.compile(source: source, file: "p.yaml", baseDirectory: nil)
    }

    func positions(_ source: String) -> [String] {
        compile(source).diagnostics.map { "\($0.code) \($0.line):\($0.column)" }
    }

    // MARK: Empty files

    /// A file without any YAML document once compiled to nothing with no diagnostic at all, so
    /// `check` passed it and `decide`/`graph` failed without saying why.
    @Test(arguments: ["", "\n", "# only a comment\n", "\n  \n# one\n# two\n", "~\n"])
    func fileWithoutContentIsAnEmptyPolicy(source: String) {
        let result = compile(source)
        #expect(result.policy == nil)
        #expect(result.diagnostics.map { "\($0.code) \($0.line):\($0.column)" } == ["RG1010 1:1"])
        #expect(result.diagnostics.first?.message == "policy is empty")
        #expect(result.diagnostics.first?.help != nil)
    }

    // MARK: Settings that switch a safeguard off

    /// Each snippet is appended to a valid policy (at line 5) and must give exactly one RG1108 on it.
    @Test(arguments: [
        "challenges:\n  otp: { channels: [] }\n",
        "challenges:\n  otp_kba_delay: { otp: { channels: [] } }\n",
        "challenges:\n  otp: { ttl: 0s }\n",
        "challenges:\n  otp: { ttl: 2d }\n",
        "challenges:\n  otp_kba_delay: { otp: { ttl: 0m } }\n",
        "challenges:\n  otp_kba_delay: { delay: 99999999999999999999w }\n",
        "challenges:\n  otp_kba_delay: { delay: 31d }\n",
        "lockout:\n  threshold: 0\n",
        "lockout:\n  window: 0s\n",
        "lockout:\n  duration: 0s\n",
        "lockout:\n  duration: 3651d\n",
        "settings:\n  history_window: 99999999999999999999w\n",
    ])
    func safeguardSwitchedOffIsAnError(snippet: String) {
        let result = compile(Self.valid + snippet)
        #expect(result.diagnostics.map { "\($0.code) \($0.line)" } == ["RG1108 6"], "\(DiagnosticRenderer.human(result.diagnostics))")
        #expect(result.diagnostics.first?.help != nil)
        #expect(result.policy == nil)
    }

    @Test func sensibleValuesAtTheBoundsAreAccepted() throws {
        let source = Self.valid + """
        challenges:
          otp: { ttl: 1d, channels: [sms] }
          otp_kba_delay: { delay: 0s, otp: { ttl: 1s } }
        lockout: { threshold: 1, window: 1s, duration: 3650d, bans_after: 0 }
        settings: { history_window: 3650d }

        """
        let result = compile(source)
        #expect(result.diagnostics.isEmpty, "\(DiagnosticRenderer.human(result.diagnostics))")
        let policy = try #require(result.policy)
        #expect(policy.challenges.otp.ttl == 86_400)
        #expect(policy.challenges.otpKbaDelay.delay == 0)
        #expect(policy.settings.lockoutDuration == 3650 * 86_400)
    }

    @Test func messagesNameTheSettingAndTheBound() {
        let messages = compile(Self.valid + "challenges:\n  otp_kba_delay: { delay: 99999999999999999999w }\nlockout: { threshold: 0 }\n")
            .diagnostics.map(\.message)
        #expect(messages == ["`delay` is longer than 30d", "`lockout.threshold` must be at least 1"])
    }

    // MARK: Repeated list items

    /// A list repeating an impossible value once gave one warning per item (10,000 for 10,000).
    @Test func impossibleValueInAListIsReportedOncePerValue() {
        let items = Array(repeating: "\"a\"", count: 10_000).joined(separator: ", ")
        let source = "riskgate: 1\npolicy: p\ndecide:\n  - { id: x, when: 'channel in [\(items), \"vioce\", \"a\"]', outcome: otp }\n  - { id: d, outcome: passive }\n"
        let result = compile(source)
        #expect(result.diagnostics.map { "\($0.code) \($0.line):\($0.column)" } == ["RG1408 4:33", "RG1408 4:\(33 + 5 * 10_000)"])
        #expect(result.diagnostics.last?.help == "did you mean `voice`?")
    }
}
