import ArgumentParser
import Foundation
import RiskGate
import RiskGateEngine
import RiskGatePolicy

/// `riskgate test PATH...`: run policy test files (folders are searched for `*.test.yaml`).
struct TestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Run policy test files.",
        discussion: """
            Exit status: 0 every case passed, 1 a case failed or a file could not run (a policy with \
            errors, a malformed test file, a folder without test files) or coverage is below \
            --coverage-min, 2 usage or I/O errors (a path that does not exist, a test file or its policy \
            that cannot be read: RG1009).

            --coverage lists, per policy, the decide rules no case's decision path went through and \
            the score rules that gave no case points, like `opa test --coverage`.
            """)

    @Argument(help: "Test files, or folders holding *.test.yaml files.")
    var paths: [String]

    @Flag(help: "Report, per policy, the decide and score rules no test case reached.")
    var coverage = false

    @Option(help: ArgumentHelp("Exit 1 when a policy's rule coverage is below this percentage (implies --coverage).",
                               valueName: "pct"))
    var coverageMin: Double?

    @Option(help: "Output: text, or json (one JSON object per policy a line: policy, covered, total, coverage, uncovered; case results go to standard error).")
    var format: Format = .text

    enum Format: String, ExpressibleByArgument { case text, json }

    func validate() throws {
        if let coverageMin, !(0...100).contains(coverageMin) {
            throw ValidationError("--coverage-min must be a percentage between 0 and 100")
        }
    }

    func run() throws {
        var files: [String] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                FileHandle.standardError.write(Data("error: `\(path)` does not exist\n".utf8))
                throw ExitCode(2)
            }
            if isDirectory.boolValue {
                let found = (FileManager.default.enumerator(atPath: path)?.allObjects as? [String] ?? [])
                    .filter { $0.hasSuffix(".test.yaml") || $0.hasSuffix(".test.yml") }.sorted()
                if found.isEmpty {
                    // Running nothing must not look like a pass.
                    FileHandle.standardError.write(Data("error: `\(path)` holds no *.test.yaml files\n".utf8))
                    throw ExitCode(1)
                }
                files += found.map { (path as NSString).appendingPathComponent($0) }
            } else {
                files.append(path)
            }
        }
        let runner = PolicyTestRunner(decide: PolicyTestRunner.engine)
        // In JSON mode standard output holds only the JSON; the case results go to standard error.
        let print: (String) -> Void = format == .json
            ? { FileHandle.standardError.write(Data(($0 + "\n").utf8)) } : { Swift.print($0) }
        var tested: [String: PolicyTestRunner.TestedPolicy] = [:]
        var order: [String] = []
        var passed = 0, failed = 0, broken = 0
        // A test file or its policy that cannot be read is an I/O error (README.md: exit 2), as for
        // `riskgate check`; the other files still run and are reported.
        var unreadable = false
        for file in files {
            let result = runner.run(path: file)
            if let policy = result.policy {
                if tested[policy.path] == nil { order.append(policy.path) }
                tested[policy.path, default: policy].covered.formUnion(policy.covered)
            }
            print(file)
            if !result.diagnostics.isEmpty {
                print(DiagnosticRenderer.human(result.diagnostics))
                if result.diagnostics.contains(where: { $0.severity == .error }) { broken += 1 }
                if hasUnreadableFile(result.diagnostics) { unreadable = true }
            }
            for c in result.cases {
                if c.passed {
                    passed += 1
                    print("  pass  \(c.name)")
                } else {
                    failed += 1
                    print("  FAIL  \(c.name)")
                    for f in c.failures { print("        \(f)") }
                }
            }
        }
        print("\(passed) passed, \(failed) failed\(broken > 0 ? ", \(broken) file\(broken == 1 ? "" : "s") could not run" : "")")
        var belowMinimum = false
        if coverage || coverageMin != nil || format == .json {
            let reports = order.compactMap { tested[$0] }.map(CoverageReport.init)
            for report in reports {
                if format == .json {
                    Swift.print(String(decoding: try JSONWriter.encode(report), as: UTF8.self))
                } else {
                    let share = String(format: "%.1f", report.coverage)
                    Swift.print("coverage \(report.policy): \(report.covered)/\(report.total) rules (\(share)%)"
                                + (report.uncovered.isEmpty ? "" : "; not reached: " + report.uncovered.joined(separator: ", ")))
                }
                if let minimum = coverageMin, report.coverage < minimum { belowMinimum = true }
            }
            if belowMinimum, let minimum = coverageMin {
                FileHandle.standardError.write(Data("error: rule coverage below --coverage-min \(String(format: "%g", minimum))%\n".utf8))
            }
        }
        if unreadable { throw ExitCode(2) }
        if failed > 0 || broken > 0 || belowMinimum { throw ExitCode(1) }
    }
}

/// One policy's rule coverage, as `riskgate test --coverage --format json` prints it.
struct CoverageReport: Encodable {
    var policy: String
    var covered: Int
    var total: Int
    /// Percentage of rules reached (100 for a policy without rules).
    var coverage: Double
    /// Rule ids no case reached, decide rules first, each in policy order.
    var uncovered: [String]

    init(_ tested: PolicyTestRunner.TestedPolicy) {
        policy = tested.path
        let all = tested.decideRules + tested.scoreRules
        uncovered = all.filter { !tested.covered.contains($0) }
        total = all.count
        covered = total - uncovered.count
        coverage = total == 0 ? 100 : 100 * Double(covered) / Double(total)
    }
}
