import ArgumentParser
import Foundation
import RiskGate
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

/// A one-line description of a JSON decoding error that names the field; for text that is not
/// JSON at all, the strict event parser's account of what is wrong and at which byte (Foundation
/// only says "not valid JSON").
func describe(_ error: DecodingError, in data: Data) -> String {
    if case .dataCorrupted(let context) = error, context.codingPath.isEmpty, let failure = strictParseFailure(data) {
        return "not valid JSON: \(failure.message) (byte \(failure.column))"
    }
    return describe(error)
}

/// What replay's strict event parser finds wrong with `data` as a request, or `nil` when it reads it.
func strictParseFailure(_ data: Data) -> JSONScanner.Failure? {
    data.withUnsafeBytes { raw -> JSONScanner.Failure? in
        do throws(JSONScanner.Failure) { _ = try EventLineParser.parse(raw); return nil } catch { return error }
    }
}

/// A one-line description of a JSON decoding error that names the field.
func describe(_ error: DecodingError) -> String {
    func path(_ context: DecodingError.Context) -> String {
        let names = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
        return names.isEmpty ? "(document)" : names.joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
    }
    switch error {
    case .keyNotFound(let key, let context):
        let parent = path(context)
        return "missing field `\(parent == "(document)" ? key.stringValue : parent + "." + key.stringValue)`"
    case .typeMismatch(let type, let context):
        return "field `\(path(context))` has the wrong type (expected \(type))"
    case .valueNotFound(let type, let context):
        return "field `\(path(context))` is null (expected \(type))"
    case .dataCorrupted(let context):
        return context.codingPath.isEmpty ? "not valid JSON" : "field `\(path(context))`: \(context.debugDescription)"
    @unknown default:
        return "\(error)"
    }
}

/// Pretty JSON with sorted keys and ISO 8601 dates.
func encodeJSON<T: Encodable>(_ value: T) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.dateEncodingStrategy = .custom { date, encoder in
        var container = encoder.singleValueContainer()
        try container.encode(Timestamp.format(date))
    }
    return String(decoding: try encoder.encode(value), as: UTF8.self)
}

/// Writes a line to standard error.
func printError(_ message: String) {
    FileHandle.standardError.write(Data((message.hasSuffix("\n") ? message : message + "\n").utf8))
}
