import ArgumentParser
import Foundation
import RiskGatePolicy

/// Reads a file, or standard input for `-`, refusing more than `limit` bytes.
func readInput(_ path: String, limit: Int) throws -> Data {
    let handle: FileHandle
    if path == "-" {
        handle = FileHandle.standardInput
    } else {
        guard let opened = FileHandle(forReadingAtPath: path) else {
            throw ValidationError("cannot read `\(path)`")
        }
        handle = opened
    }
    let data = try handle.read(upToCount: limit + 1) ?? Data()
    guard data.count <= limit else { throw ValidationError("`\(path)` is larger than \(limit) bytes") }
    return data
}

/// The policy at `path`, compiled; otherwise its diagnostics go to standard error and the command
/// exits 2 when the file could not be read (`RG1009`: missing, a folder, not UTF-8) and 1 for a
/// policy with errors, as `riskgate check` does.
func compilePolicy(at path: String) throws -> CompiledPolicy {
    let result = PolicyCompiler.compile(path: path)
    guard let policy = result.policy else {
        printError(DiagnosticRenderer.human(result.diagnostics))
        throw ExitCode(hasUnreadableFile(result.diagnostics) ? 2 : 1)
    }
    return policy
}

/// Whether `diagnostics` say a file could not be read (`RG1009`: missing, a folder, not UTF-8):
/// an I/O error, so the command exits 2 rather than 1 (README.md).
func hasUnreadableFile(_ diagnostics: [Diagnostic]) -> Bool {
    diagnostics.contains { $0.code == DiagnosticCode.unreadableFile.rawValue }
}

/// Pretty JSON with sorted keys and ISO 8601 dates.
func encodeJSON<T: Encodable>(_ value: T) throws -> String {
    String(decoding: try JSONWriter.encode(value, pretty: true, formattingDates: Timestamp.format), as: UTF8.self)
}

/// Writes a line to standard error.
func printError(_ message: String) {
    FileHandle.standardError.write(Data((message.hasSuffix("\n") ? message : message + "\n").utf8))
}
