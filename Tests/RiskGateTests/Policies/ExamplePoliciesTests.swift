import Foundation
import Testing
@testable import RiskGate
@testable import RiskGateEngine
@testable import RiskGatePolicy

/// The shipped example policies compile without a single diagnostic, and their test files pass
/// when every case runs through the full decision engine (history, lockouts, challenges).
@Suite struct ExamplePoliciesTests {
    static let policies = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("policies")

    static func files(in directory: URL, suffix: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).filter { $0.hasSuffix(suffix) }.sorted()
    }

    static var policyFiles: [String] { files(in: policies, suffix: ".yaml") }
    static var testFiles: [String] { files(in: policies.appendingPathComponent("tests"), suffix: ".test.yaml") }

    @Test func examplesAreFound() {
        #expect(Self.policyFiles.count >= 3)
        #expect(Self.testFiles.count == Self.policyFiles.count)
    }

    @Test(arguments: policyFiles)
    func policyCompilesWithoutDiagnostics(file: String) throws {
        let result = PolicyCompiler.compile(path: Self.policies.appendingPathComponent(file).path)
        #expect(result.diagnostics.isEmpty, "\(DiagnosticRenderer.human(result.diagnostics))")
        _ = try #require(result.policy)
    }

    @Test(arguments: testFiles)
    func testFilePassesThroughTheEngine(file: String) {
        let runner = PolicyTestRunner(decide: PolicyTestRunner.engine)
        let result = runner.run(path: Self.policies.appendingPathComponent("tests").appendingPathComponent(file).path)
        #expect(result.diagnostics.isEmpty, "\(DiagnosticRenderer.human(result.diagnostics))")
        #expect(result.cases.count >= 9)
        for c in result.cases { #expect(c.passed, "\(c.name): \(c.failures)") }
    }
}
