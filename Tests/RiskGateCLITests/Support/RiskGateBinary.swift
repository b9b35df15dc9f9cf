import Foundation

/// Finds the `riskgate` executable the tests run.
///
/// `swift test` builds every product of the package, `riskgate` included, into the folder that
/// holds the test executable (`.build/<triple>/debug/`), so the binary is looked for beside the
/// running test process: in that folder, its parent, and beside an `.xctest` bundle (macOS runs
/// tests from `X.xctest/Contents/MacOS/`). `RISKGATE_BINARY` overrides the search, e.g. to test
/// a release build.
///
/// There is no silent skip: when the binary is missing, every test that runs it fails with
/// ``NotFound``, which says where it looked.
enum RiskGateBinary {
    /// Why the binary could not be used.
    struct NotFound: Error, CustomStringConvertible {
        var searched: [String]
        var override: String?

        var description: String {
            if let override {
                return "RISKGATE_BINARY is `\(override)`, which is not an executable file"
            }
            return "the `riskgate` executable was not found beside the test executable (looked in "
                + searched.map { "`\($0)`" }.joined(separator: ", ")
                + "); run the tests with `swift test`, which builds it, or set RISKGATE_BINARY to its path"
        }
    }

    /// The search, done once for the whole test run.
    private static let located: Result<URL, NotFound> = locate()

    /// The path of the `riskgate` executable.
    ///
    /// - Throws: ``NotFound`` when it is not where `swift test` puts it.
    static func url() throws -> URL {
        try located.get()
    }

    private static func locate() -> Result<URL, NotFound> {
        let fileManager = FileManager.default
        if let override = ProcessInfo.processInfo.environment["RISKGATE_BINARY"], !override.isEmpty {
            return fileManager.isExecutableFile(atPath: override) && !isDirectory(override)
                ? .success(URL(fileURLWithPath: override)) : .failure(NotFound(searched: [], override: override))
        }
        var folders: [URL] = []
        func addFolders(around executable: URL) {
            let folder = executable.resolvingSymlinksInPath().deletingLastPathComponent()
            folders += [folder, folder.deletingLastPathComponent()]
            // X.xctest/Contents/MacOS/X: the products sit beside X.xctest.
            var bundle = folder
            while bundle.pathComponents.count > 1 {
                if bundle.pathExtension == "xctest" { folders.append(bundle.deletingLastPathComponent()); break }
                bundle.deleteLastPathComponent()
            }
        }
        if let running = try? fileManager.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            addFolders(around: URL(fileURLWithPath: running))
        }
        if let executable = Bundle.main.executableURL { addFolders(around: executable) }
        if let first = CommandLine.arguments.first, first.contains("/") {
            addFolders(around: URL(fileURLWithPath: first))
        }
        var seen = Set<String>()
        folders = folders.filter { seen.insert($0.standardizedFileURL.path).inserted }
        for folder in folders {
            let candidate = folder.appendingPathComponent("riskgate")
            if fileManager.isExecutableFile(atPath: candidate.path) && !isDirectory(candidate.path) {
                return .success(candidate)
            }
        }
        return .failure(NotFound(searched: folders.map(\.path), override: nil))
    }

    private static func isDirectory(_ path: String) -> Bool {
        var directory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &directory) && directory.boolValue
    }
}
