import NIOCore
import RiskGateEngine

/// Turns a request body into the core's JSON reader, or into a 400 that names the offending field.
///
/// Every body goes through the core's one JSON reader (``RiskGateEngine/JSONScanner``): the decision
/// body through the event parser replay uses too, the other bodies as a
/// ``RiskGateEngine/JSONObjectReader``. There is no second parser to keep in agreement.
enum JSONInput {
    /// Deepest nesting accepted in any JSON body; requests need 4, `signals` values a few more.
    static let maxDepth = 32

    /// The body as one JSON object.
    ///
    /// - Throws: ``APIError`` (`malformed_json`, `invalid_body`, or `invalid_field` for a key given twice).
    static func object(_ buffer: ByteBuffer) throws -> JSONObjectReader {
        try read(buffer) { raw throws(JSONBodyError) in try JSONObjectReader(parsing: raw, maxDepth: maxDepth) }
    }

    /// What `reader` makes of the body: the one place every endpoint's body is refused when empty,
    /// and a reader's failure becomes the service's 400.
    ///
    /// - Throws: ``APIError`` (`malformed_json` for an empty body, else as ``apiError(_:)``).
    static func read<Value>(
        _ buffer: ByteBuffer, _ reader: (UnsafeRawBufferPointer) throws(JSONBodyError) -> Value
    ) throws -> Value {
        guard buffer.readableBytes > 0 else { throw APIError.malformedJSON("request body is empty") }
        let parsed = buffer.withUnsafeReadableBytes { raw in
            Result { () throws(JSONBodyError) in try reader(raw) }
        }
        switch parsed {
        case .success(let value): return value
        case .failure(let error): throw apiError(error)
        }
    }

    /// The service's error for a problem the core's reader found.
    static func apiError(_ error: JSONBodyError) -> APIError {
        switch error.kind {
        case .malformed: return .malformedJSON("request body is \(error.message)")
        case .notAnObject: return APIError(.badRequest, code: "invalid_body", message: "request body \(error.message)")
        case .missing: return .missingField(error.field ?? "")
        case .unknown: return .unknownField(error.field ?? "")
        case .invalid:
            guard let field = error.field else { return APIError(.badRequest, code: "invalid_body", message: error.message) }
            return .invalidField(field, error.message)
        }
    }
}
