import ArgumentParser
import Foundation
import RiskGate

/// `riskgate test PATH...`: run policy test files (folders are searched for `*.test.yaml`).
struct TestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Run policy test files.",
        discussion: """
            Exit status: 0 every case passed, 1 a case failed or a file could not run (a policy with \
            errors, a malformed test file, a folder without test files), 2 usage or I/O errors (a path \
            that does not exist, a test file or its policy that cannot be read: RG1009).
            """)

    @Argument(help: "Test files, or folders holding *.test.yaml files.")
    var paths: [String]

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
        var passed = 0, failed = 0, broken = 0
        // A test file or its policy that cannot be read is an I/O error (SPEC §6: exit 2), as for
        // `riskgate check`; the other files still run and are reported.
        var unreadable = false
        for file in files {
            let result = runner.run(path: file)
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
        if unreadable { throw ExitCode(2) }
        if failed > 0 || broken > 0 { throw ExitCode(1) }
    }
}
