import Foundation
import Hummingbird

/// Turns a request body into a typed value, or into a 400 that names the offending field.
enum JSONInput {
    /// Deepest nesting accepted in any JSON body; requests need 4, `signals` values a few more.
    static let maxDepth = 32

    static func decode<T: Decodable>(_ type: T.Type, from buffer: ByteBuffer) throws -> T {
        guard buffer.readableBytes > 0 else { throw APIError.malformedJSON("request body is empty") }
        guard !JSONDepth.exceeds(buffer, limit: maxDepth) else {
            throw APIError.malformedJSON("JSON nests deeper than \(maxDepth) levels")
        }
        let decoder = JSONDecoder()
        do {
            return try buffer.withUnsafeReadableBytes { raw in
                try decoder.decode(T.self, from: Data(raw))
            }
        } catch let error as DecodingError {
            throw apiError(for: error)
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError.malformedJSON("request body is not valid JSON")
        }
    }

    /// A dotted field path: `geo.lat`, `typing.keys[2].down`.
    static func path(_ codingPath: [any CodingKey]) -> String {
        var path = ""
        for key in codingPath {
            if let index = key.intValue {
                path += "[\(index)]"
            } else {
                if !path.isEmpty { path += "." }
                path += key.stringValue
            }
        }
        return path
    }

    static func apiError(for error: DecodingError) -> APIError {
        switch error {
        case .keyNotFound(let key, let context):
            return .missingField(path(context.codingPath + [key]))
        case .typeMismatch(let expected, let context):
            let field = path(context.codingPath)
            if field.isEmpty {
                return APIError(.badRequest, code: "invalid_body", message: "request body must be \(describe(expected))")
            }
            return .invalidField(field, "`\(field)` must be \(describe(expected))")
        case .valueNotFound(let expected, let context):
            let field = path(context.codingPath)
            if field.isEmpty {
                // The body is the JSON value `null`: valid JSON, but not an object.
                return APIError(.badRequest, code: "invalid_body", message: "request body must be \(describe(expected)), not null")
            }
            return .invalidField(field, "`\(field)` must be \(describe(expected)), not null")
        case .dataCorrupted(let context):
            let field = path(context.codingPath)
            if field.isEmpty {
                return .malformedJSON("request body is not valid JSON")
            }
            return .invalidField(field, summary(context.debugDescription, field: field))
        @unknown default:
            return .malformedJSON("request body could not be decoded")
        }
    }

    /// Core decoders write messages meant for people; keep them one bounded line.
    private static func summary(_ text: String, field: String) -> String {
        let line = text.split(separator: "\n").first.map(String.init) ?? ""
        if line.isEmpty { return "`\(field)` has an invalid value" }
        return String(line.prefix(200))
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        case is Double.Type, is Float.Type: "a number"
        case is Int.Type, is Int64.Type, is UInt.Type: "an integer"
        case is [Any].Type: "an array"
        case is [String: Any].Type: "an object"
        default:
            if String(describing: type).hasPrefix("Array") { "an array" }
            else if String(describing: type).hasPrefix("Dictionary") { "an object" }
            else { "an object" }
        }
    }
}

/// A coding key for any name, to list the keys a JSON object actually has.
struct AnyKey: CodingKey, Hashable {
    var stringValue: String
    var intValue: Int?
    init(_ string: String) { stringValue = string; intValue = nil }
    init?(stringValue: String) { self.stringValue = stringValue; intValue = nil }
    init?(intValue: Int) { stringValue = String(intValue); self.intValue = intValue }
}

extension KeyedDecodingContainer where K == AnyKey {
    /// Throws `unknown_field` for the first key (in sorted order) not in `allowed`.
    func rejectUnknownKeys(_ allowed: Set<String>, prefix: String) throws {
        let unknown = allKeys.map(\.stringValue).filter { !allowed.contains($0) }.sorted()
        if let first = unknown.first {
            throw APIError.unknownField(prefix.isEmpty ? first : "\(prefix).\(first)")
        }
    }

    /// The object at `key` when present and not null, for checking its keys.
    func nestedObjectIfPresent(_ key: String) throws -> KeyedDecodingContainer<AnyKey>? {
        let k = AnyKey(key)
        guard contains(k), try !decodeNil(forKey: k) else { return nil }
        return try nestedContainer(keyedBy: AnyKey.self, forKey: k)
    }
}
