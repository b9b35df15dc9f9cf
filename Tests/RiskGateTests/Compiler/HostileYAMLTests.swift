import Testing
@testable import RiskGatePolicy

/// Hostile input is refused with a clear diagnostic, quickly and without exhausting memory.
@Suite struct HostileYAMLTests {
    func codes(_ source: String) -> [String] {
        PolicyCompiler.compile(source: source, file: "hostile.yaml", baseDirectory: nil).diagnostics.map(\.code)
    }

    @Test func billionLaughsIsRefused() {
        var source = "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        for i in 1...9 {
            let refs = Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ", ")
            source += "a\(i): &a\(i) [\(refs)]\n"
        }
        #expect(codes(source) == ["RG1004"])
    }

    @Test func deepNestingIsRefused() {
        let source = "decide: " + String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000) + "\n"
        #expect(codes(source) == ["RG1003"])
        let mappings = (0..<10_000).map { String(repeating: " ", count: $0 % 200) + "k\($0):" }.joined(separator: "\n")
        #expect(!codes(mappings).isEmpty)
    }

    @Test func hugeFileIsRefused() {
        let source = "riskgate: 1\n# " + String(repeating: "x", count: 2 << 20) + "\n"
        #expect(codes(source) == ["RG1002"])
    }

    @Test func hugeScalarIsRefused() {
        let source = "riskgate: 1\npolicy: p\ndescription: " + String(repeating: "y", count: 100_000) + "\n"
        #expect(codes(source) == ["RG1005"])
    }

    @Test func deepExpressionIsRefused() {
        let source = "riskgate: 1\npolicy: p\ndecide:\n  - id: a\n    when: " + String(repeating: "(", count: 5000) + "true" +
            String(repeating: ")", count: 5000) + "\n    outcome: otp\n  - { id: b, outcome: passive }\n"
        #expect(codes(source).contains("RG1205"))
        let nots = "riskgate: 1\npolicy: p\ndecide:\n  - id: a\n    when: " + String(repeating: "not ", count: 5000) + "true\n    outcome: otp\n  - { id: b, outcome: passive }\n"
        #expect(codes(nots).contains("RG1205"))
    }

    @Test func aliasesWithinBudgetWork() {
        let source = """
        riskgate: 1
        policy: p
        lists:
          chat: { values: &channels [chat, voice] }
          also: { values: *channels }
        decide:
          - { id: a, when: channel in chat or channel in also, outcome: otp }
          - { id: b, outcome: passive }
        """
        let result = PolicyCompiler.compile(source: source, file: "p.yaml", baseDirectory: nil)
        #expect(result.diagnostics.isEmpty)
    }
}
