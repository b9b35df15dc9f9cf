import Foundation
import HTTPTypes
import Hummingbird
import RiskGateEngine
import RiskGatePolicy

/// An error response: an HTTP status and a JSON body `{"error": {"code", "message", "field"?}}`.
///
/// Codes are stable identifiers clients can switch on; messages are for people (lowercase, no final
/// period) and may change. Field paths are dotted, with `[i]` for array elements (`typing.keys[3].up`).
public struct APIError: Error, Sendable, Hashable {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    public var field: String?
    /// Extra headers (e.g. `WWW-Authenticate`, `Connection: close`).
    public var headers: HTTPFields
    /// Compiler diagnostics, for a rejected policy.
    public var diagnostics: [PolicyDiagnostic]?

    public init(_ status: HTTPResponse.Status, code: String, message: String, field: String? = nil,
                headers: HTTPFields = [:], diagnostics: [PolicyDiagnostic]? = nil) {
        self.status = status; self.code = code; self.message = message; self.field = field
        self.headers = headers; self.diagnostics = diagnostics
    }

    static func malformedJSON(_ message: String) -> APIError {
        APIError(.badRequest, code: "malformed_json", message: message)
    }
    static func invalidField(_ field: String, _ message: String) -> APIError {
        APIError(.badRequest, code: "invalid_field", message: message, field: field)
    }
    static func missingField(_ field: String) -> APIError {
        APIError(.badRequest, code: "missing_field", message: "`\(field)` is required", field: field)
    }
    /// The field is the client's text: control and format characters (line breaks, bidi overrides)
    /// are escaped and it is cut to 64 characters, so the message is one line wherever it is shown.
    static func unknownField(_ field: String) -> APIError {
        var shown = ""
        for scalar in field.unicodeScalars.prefix(64) {
            switch scalar.properties.generalCategory {
            case .control, .format, .lineSeparator, .paragraphSeparator:
                shown += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
            default:
                shown.unicodeScalars.append(scalar)
            }
        }
        if field.unicodeScalars.count > 64 { shown += "…" }
        return APIError(.badRequest, code: "unknown_field", message: "unknown field `\(shown)`", field: shown)
    }
    static func bodyTooLarge(_ limit: Int?) -> APIError {
        APIError(.contentTooLarge, code: "body_too_large",
                 message: limit.map { "request body is larger than \($0) bytes" } ?? "request body is too large",
                 headers: [.connection: "close"])
    }
    static let requestTimeout = APIError(
        .requestTimeout, code: "request_timeout", message: "request body was not received in time",
        headers: [.connection: "close"])
    static let unauthorized = APIError(
        .unauthorized, code: "unauthorized", message: "missing or unknown API key",
        headers: [.wwwAuthenticate: "Bearer realm=\"riskgate\""])
    static func forbidden(_ scope: APIScope) -> APIError {
        APIError(.forbidden, code: "forbidden", message: "this API key lacks the `\(scope.rawValue)` scope")
    }
    static let notFound = APIError(.notFound, code: "not_found", message: "no such endpoint")
    /// A known path asked with a method it does not answer; `allowed` goes in the `Allow` header.
    static func methodNotAllowed(_ allowed: [HTTPRequest.Method]) -> APIError {
        let names = allowed.map(\.rawValue)
        return APIError(.methodNotAllowed, code: "method_not_allowed",
                        message: names.isEmpty ? "method not allowed on this endpoint"
                            : "method not allowed on this endpoint; use \(names.joined(separator: " or "))",
                        headers: names.isEmpty ? [:] : [.allow: names.joined(separator: ", ")])
    }
    static let internalError = APIError(.internalServerError, code: "internal_error", message: "internal error")

    /// The wire form.
    struct Body: Encodable {
        struct Detail: Encodable {
            var code: String
            var message: String
            var field: String?
        }
        var error: Detail
        var diagnostics: [PolicyDiagnostic]?
    }

    /// The HTTP response carrying this error.
    func response() -> Response {
        let body = Body(error: .init(code: code, message: message, field: field), diagnostics: diagnostics)
        var headers = headers
        headers[.contentType] = "application/json; charset=utf-8"
        let bytes = (try? JSONWriter.encode(body)) ?? Array(#"{"error":{"code":"internal_error","message":"internal error"}}"#.utf8)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}

/// Every response body goes through the core's one ``RiskGatePolicy/JSONWriter``: sorted keys, so
/// examples and tests are reproducible.
enum JSONWire {
    /// A decision's 200 response, written member by member (the bytes `encode` would give, a fraction of the cost).
    static func response(_ decision: RiskGatePolicy.Decision) throws -> Response {
        try response(status: .ok) { ByteBuffer(bytes: try decision.responseJSON()) }
    }

    /// A 200 (or other) JSON response for any encodable value.
    static func response<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        try response(status: status) { ByteBuffer(bytes: try JSONWriter.encode(value)) }
    }

    private static func response(status: HTTPResponse.Status, _ encode: () throws -> ByteBuffer) throws -> Response {
        let body: ByteBuffer
        do {
            body = try encode()
        } catch {
            // e.g. a non-finite score: an engine bug, not the client's
            throw APIError(.internalServerError, code: "internal_error", message: "response could not be encoded")
        }
        return Response(status: status, headers: [.contentType: "application/json; charset=utf-8"],
                        body: .init(byteBuffer: body))
    }
}
