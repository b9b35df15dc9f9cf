import Foundation

/// Compiles policy files: a named list of stages, each a function of the previous stage's output
/// and a diagnostics collector, so each can be run and tested alone.
///
/// ```swift
/// let result = PolicyCompiler.compile(path: "policies/web-login.yaml")
/// if let policy = result.policy { policy.evaluate(&signals, into: &evaluation) }
/// print(DiagnosticRenderer.human(result.diagnostics))
/// ```
public enum PolicyCompiler {
    /// The stages, in order.
    public enum Stage: String, Sendable, CaseIterable {
        case parseYAML, buildAST, resolveLists, typeCheck, analyse, compileGraph
    }

    /// Compiles policy text. `file` names it in diagnostics; list `file:` paths are relative to `baseDirectory`.
    ///
    /// `confineListFiles` is for text from an untrusted sender (the HTTP service's policy upload):
    /// list files must then lie inside `baseDirectory` (`RG1506`), and their bad lines are
    /// reported without their text.
    public static func compile(source: String, file: String, baseDirectory: String?,
                               confineListFiles: Bool = false) -> CompileResult {
        var diagnostics = DiagnosticBag(file: file, source: source)
        let text = SourceText(source)
        // parseYAML
        guard let root = YAMLReader.read(source, text: text, diagnostics: &diagnostics) else {
            return CompileResult(policy: nil, diagnostics: diagnostics.sorted())
        }
        // buildAST
        let (document, anonymousLists) = ASTBuilder.build(root, text: text, diagnostics: &diagnostics)
        // resolveLists
        let lists = ResolvedLists.resolve(document, anonymousLists: anonymousLists, baseDirectory: baseDirectory,
                                         confined: confineListFiles, diagnostics: &diagnostics)
        // typeCheck (with name resolution)
        let checked = TypeChecker.check(document, lists: lists, diagnostics: &diagnostics)
        // analyse
        PolicyAnalyzer.analyse(checked, diagnostics: &diagnostics)
        // compileGraph
        let policy = diagnostics.hasErrors ? nil : GraphCompiler.compile(checked, source: source)
        return CompileResult(policy: policy, diagnostics: diagnostics.sorted())
    }

    /// Reads and compiles a policy file; a file that cannot be read is an `RG1009` diagnostic.
    public static func compile(path: String) -> CompileResult {
        // Read at most one byte past the limit: a huge file is refused without being read whole.
        let limit = YAMLLimits.standard.maxBytes
        let data = FileHandle(forReadingAtPath: path).flatMap { handle -> Data? in
            defer { try? handle.close() }
            do {
                return try handle.read(upToCount: limit + 1) ?? Data()  // nil at once: an empty file
            } catch {
                return nil  // a folder, or a read error
            }
        }
        if let data, data.count > limit {
            return CompileResult(policy: nil, diagnostics: [
                Diagnostic(code: DiagnosticCode.fileTooLarge.rawValue, severity: .error,
                           message: "file is more than the \(limit) bytes allowed", file: path, line: 1, column: 1,
                           help: "a policy is at most 1 MiB; move large IP lists into list files")
            ])
        }
        guard let data else {
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
            let message = !exists ? "file does not exist" : (isDirectory.boolValue ? "is a folder, not a policy file" : "file cannot be read")
            let help = !exists ? "check the path; it is relative to the current folder"
                : (isDirectory.boolValue ? "name a policy `.yaml` file inside the folder" : "check the file's permissions")
            return CompileResult(policy: nil, diagnostics: [
                Diagnostic(code: DiagnosticCode.unreadableFile.rawValue, severity: .error, message: message, file: path, line: 1, column: 1,
                           help: help)
            ])
        }
        guard let source = String(data: data, encoding: .utf8) else {
            return CompileResult(policy: nil, diagnostics: [
                Diagnostic(code: DiagnosticCode.unreadableFile.rawValue, severity: .error, message: "file is not valid UTF-8",
                           file: path, line: 1, column: 1, help: "save the policy as UTF-8")
            ])
        }
        let directory = (path as NSString).deletingLastPathComponent
        return compile(source: source, file: path, baseDirectory: directory.isEmpty ? "." : directory)
    }
}

/// What compiling a policy produced: the policy when there were no errors, and every diagnostic.
public struct CompileResult: Sendable {
    /// The compiled policy; `nil` exactly when ``hasErrors``.
    public var policy: CompiledPolicy?
    /// Errors and warnings, sorted by position.
    public var diagnostics: [Diagnostic]
    /// Whether any diagnostic is an error.
    public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }

    public init(policy: CompiledPolicy?, diagnostics: [Diagnostic]) {
        self.policy = policy
        self.diagnostics = diagnostics
    }
}
