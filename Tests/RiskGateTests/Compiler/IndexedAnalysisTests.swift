import Foundation
import Testing
@testable import RiskGatePolicy

/// The shadowing and friction-ladder checks try only the earlier rules an index cannot rule out;
/// these are the cases the index must still find, each far from its partner among unrelated rules.
@Suite struct IndexedAnalysisTests {
    /// `count` rules on actions nobody else uses, none shadowing another.
    static func filler(_ count: Int, from start: Int = 0) -> String {
        (start..<start + count).map { "  - { id: f\($0), when: request.action == \"f\($0)\" and score >= 50, outcome: otp }\n" }.joined()
    }

    func diagnostics(_ decide: String) -> [Diagnostic] {
        let source = "riskgate: 1\npolicy: p\ndecide:\n" + decide + "  - { id: default, outcome: passive }\n"
        return PolicyCompiler.compile(source: source, file: "p.yaml", baseDirectory: nil).diagnostics
    }

    func shadowed(_ decide: String) -> [String] {
        diagnostics(decide).filter { $0.code == DiagnosticCode.shadowedRule.rawValue }.map(\.message)
    }

    @Test func aStringSetCoversASubsetOfIt() {
        let messages = shadowed("  - { id: wide, when: 'request.action in [\"login\", \"payment\"]', outcome: otp }\n"
            + Self.filler(300) + "  - { id: narrow, when: request.action == \"payment\" and score >= 10, outcome: deny }\n")
        #expect(messages.count == 1)
        #expect(messages.first?.contains("rule `narrow` can never match: rule `wide`") == true, "\(messages)")
    }

    @Test func aNegatedConditionCoversItsNarrowing() {
        let messages = shadowed("  - { id: known, when: not device.new, outcome: otp }\n"
            + Self.filler(300) + "  - { id: known-high, when: not device.new and score >= 70, outcome: deny }\n")
        #expect(messages.count == 1)
        #expect(messages.first?.contains("rule `known-high` can never match: rule `known`") == true, "\(messages)")
    }

    @Test func theFirstOfSeveralShadowingRulesIsNamed() {
        let messages = shadowed("  - { id: any-new, when: device.new, outcome: otp }\n"
            + Self.filler(200)
            + "  - { id: new-login, when: device.new and request.action == \"login\", outcome: otp }\n"
            + Self.filler(200, from: 200)
            + "  - { id: late, when: device.new and request.action == \"login\" and score >= 90, outcome: deny }\n")
        #expect(messages.count == 2, "\(messages)")
        #expect(messages.contains { $0.contains("rule `late` can never match: rule `any-new`") }, "\(messages)")
    }

    @Test func aComplementDoesNotCoverAValueSet() {
        // `!=` and `==` of other values share the variable but cannot shadow each other.
        let messages = shadowed(Self.filler(100) + "  - { id: not-login, when: request.action != \"login\", outcome: otp }\n"
            + "  - { id: login, when: request.action == \"login\" and score >= 10, outcome: deny }\n")
        #expect(messages.isEmpty, "\(messages)")
    }

    @Test func aLadderGoingBackwardsIsFoundAcrossUnrelatedRules() {
        let decide = "  - { id: mid, when: request.action == \"payment\" and score >= 50, outcome: otp }\n"
            + Self.filler(300)
            + "  - { id: low, when: request.action == \"payment\" and score >= 20, outcome: agent_escalation }\n"
        let ladders = diagnostics(decide).filter { $0.code == DiagnosticCode.ladderBackwards.rawValue }
        #expect(ladders.count == 1)
        #expect(ladders.first?.message.contains("rule `mid` gives `otp` to scores >= 50, but rule `low`") == true,
                "\(ladders.map(\.message))")
    }
}
