import ArgumentParser
import Foundation
import RiskGate

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
