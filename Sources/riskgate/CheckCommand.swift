import ArgumentParser
import Foundation
import RiskGatePolicy

/// `riskgate check POLICY...`: compile and report every problem.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Compile policies and print their diagnostics.",
        discussion: "Exit status: 0 clean (or warnings only without --strict), 1 errors (or warnings with --strict), 2 usage or I/O errors.")

    enum Format: String, ExpressibleByArgument, CaseIterable { case human, json }

    @Argument(help: "Policy files.")
    var policies: [String]

    @Option(help: "Output format: human or json.")
    var format: Format = .human

    @Flag(help: "Fail on warnings too.")
    var strict = false

    func run() throws {
        var all: [Diagnostic] = []
        var ioError = false
        for path in policies {
            let result = PolicyCompiler.compile(path: path)
            if hasUnreadableFile(result.diagnostics) { ioError = true }
            all += result.diagnostics
        }
        switch format {
        case .json:
            print(DiagnosticRenderer.json(all))
        case .human:
            if !all.isEmpty { print(DiagnosticRenderer.human(all)) }
            let files = policies.count == 1 ? "1 policy" : "\(policies.count) policies"
            FileHandle.standardError.write(Data("checked \(files): \(DiagnosticRenderer.summary(all))\n".utf8))
        }
        if ioError { throw ExitCode(2) }
        let failing = all.contains { $0.severity == .error || strict }
        if failing { throw ExitCode(1) }
    }
}
