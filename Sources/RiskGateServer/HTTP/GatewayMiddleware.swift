import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOHTTP1
import RiskGateEngine

/// The outermost layer: gives the request a random id, applies the rate limits, identifies the
/// caller, turns every error into a JSON response, counts responses and writes one access-log line
/// per request.
///
/// The log line carries the request id, method, route template (`/v1/accounts/{user}`, never the
/// concrete path, which may hold a user id), status, duration and the key id. It never carries the
/// key, client addresses, user agents, bodies or error messages that could echo client input.
/// Failed authentications are the exception: they are logged at `warning` with the client address
/// (never any part of the presented key), since that is what an operator needs to find a guesser.
struct GatewayMiddleware: RouterMiddleware {
    typealias Context = ServerContext
    let keys: APIKeyStore
    let metrics: ServerMetrics
    let limiter: RateLimiter
    let clientAddress: ClientAddress

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        let start = ContinuousClock.now
        var context = context
        // Replaces Hummingbird's id, which counts up, before anything logs under it.
        let requestID = RequestID.make()
        context.logger[metadataKey: "hb.request.id"] = .string(requestID)
        let address = clientAddress.resolve(peer: context.channel.remoteAddress, forwardedFor: request.headers[.xForwardedFor])
        let authorization = request.headers[.authorization]
        let token = Self.bearerToken(authorization)
        var response: Response
        var errorCode: String?
        // Handlers add their fields (a decision's id and outcome) to this request's access line.
        let accessLog = context.logger.logLevel <= .info ? AccessLogFields() : nil
        context.accessLog = accessLog
        do {
            try admit(token: token, address: address, isHealthCheck: request.uri.path == "/healthz", context: &context)
            response = try await next(request, context)
        } catch let error as HTTPParserError {
            // The connection's byte stream is broken (e.g. a body shorter than its Content-Length
            // followed by garbage). Hummingbird answers these itself with 400 and closes the
            // connection; answering here too would write two responses.
            metrics.response(status: 400)
            context.logger.info("request", metadata: [
                "http.method": .string(request.method.rawValue), "http.route": .string(context.endpointPath ?? "unmatched"),
                "http.status": "400", "error.code": "malformed_http",
            ])
            throw error
        } catch {
            var apiError = Self.apiError(for: error, context: context)
            // The router found no handler: a known path with another method is 405, not 404.
            if (error as? HTTPError)?.status == .notFound, let allowed = EndpointTable.methods(forPath: request.uri.path) {
                apiError = .methodNotAllowed(allowed)
            }
            errorCode = apiError.code
            response = apiError.response()
            if apiError.headers[.connection] == "close" {
                // The rest of the body is unread; Hummingbird would otherwise drain it (possibly
                // forever) before the next request. Closing input ends the connection once the
                // response is written.
                context.channel.close(mode: .input, promise: nil)
            }
        }
        response.headers[.requestID] = requestID
        metrics.response(status: response.status.code)
        if response.status == .unauthorized {
            authenticationFailed(request, context: context, address: address,
                                 reason: token != nil ? "unknown_key" : authorization == nil ? "missing_key" : "malformed_header")
        }

        let level: Logger.Level = response.status.code >= 500 ? .error : .info
        // The access line's metadata (a dictionary, a formatted duration) is built only when it will be written.
        if context.logger.logLevel <= level {
            let elapsed = ContinuousClock.now - start
            var metadata: Logger.Metadata = [
                "http.method": .string(request.method.rawValue),
                "http.route": .string(context.endpointPath ?? "unmatched"),
                "http.status": .stringConvertible(response.status.code),
                "duration_ms": .string(Self.milliseconds(elapsed)),
            ]
            if let principal = context.principal { metadata["key.id"] = .string(principal.keyID) }
            if let errorCode { metadata["error.code"] = .string(errorCode) }
            if let accessLog, !accessLog.metadata.isEmpty { metadata.merge(accessLog.metadata) { kept, _ in kept } }
            context.logger.log(level: level, "request", metadata: metadata)
        }
        return response
    }

    /// A duration in milliseconds with three decimals (`"1.234"`), without `String(format:)`,
    /// which cost more than the rest of the access line.
    static func milliseconds(_ duration: Duration) -> String {
        let micros = max(0, (duration.nanoseconds + 500) / 1000)
        let fraction = String(micros % 1000)
        return String(micros / 1000) + "." + String(repeating: "0", count: 3 - fraction.utf8.count) + fraction
    }

    /// The rate limits, then the key lookup: a client over its address's limit, or one that has
    /// used up its failed authentications, is refused before its key is looked at, so refused
    /// guesses learn nothing about the key.
    ///
    /// Health checks are not counted against the address: a load balancer that got a 429 would
    /// take a healthy server out of rotation, and answering `/healthz` costs no more than a 429.
    /// - Throws: ``RateLimiter/Refusal`` (429).
    func admit(token: Substring?, address: String, isHealthCheck: Bool, context: inout Context) throws {
        let now = limiter.clock()
        if !isHealthCheck, let table = limiter.perAddress, let retry = table.take(address, now: now) {
            throw RateLimiter.Refusal(reason: .address, retryAfter: retry)
        }
        guard let token else { return }
        if let table = limiter.authFailures, let retry = table.check(address, now: now) {
            throw RateLimiter.Refusal(reason: .authFailures, retryAfter: retry)
        }
        context.principal = keys.principal(for: token)
        if let principal = context.principal, let table = limiter.perKey, let retry = table.take(principal.keyID, now: now) {
            throw RateLimiter.Refusal(reason: .key, retryAfter: retry)
        }
    }

    /// Spends one of the address's failed authentications and logs a warning. The key, or any
    /// part of it, is never logged: a near miss or a real key sent to the wrong server would leak.
    func authenticationFailed(_ request: Request, context: Context, address: String, reason: String) {
        _ = limiter.authFailures?.take(address, now: limiter.clock())
        context.logger.warning("authentication failed", metadata: [
            "client.address": .string(address),
            "http.method": .string(request.method.rawValue),
            "http.route": .string(context.endpointPath ?? "unmatched"),
            "auth.reason": .string(reason),
        ])
    }

    /// The key after `Bearer ` (scheme case-insensitive, spaces and tabs around the key ignored), or nil.
    ///
    /// Byte-level: it runs on every request, and Foundation's case folding and trimming cost more than the key lookup.
    static func bearerToken(_ header: String?) -> Substring? {
        guard let header else { return nil }
        let utf8 = header.utf8
        guard utf8.count > 7 else { return nil }
        var index = utf8.startIndex
        for expected in "bearer ".utf8 {
            let byte = utf8[index]
            // ASCII letters fold to lower case with 0x20; the space must be a space.
            guard expected == UInt8(ascii: " ") ? byte == expected : byte | 0x20 == expected else { return nil }
            index = utf8.index(after: index)
        }
        func isBlank(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        var end = utf8.endIndex
        while index < end, isBlank(utf8[index]) { index = utf8.index(after: index) }
        while end > index, isBlank(utf8[utf8.index(before: end)]) { end = utf8.index(before: end) }
        guard index < end else { return nil }
        return header[index..<end]
    }

    static func apiError(for error: any Error, context: Context) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let error as BackendError:
            switch error {
            case .notFound(let what):
                return APIError(.notFound, code: "not_found", message: "\(what) not found")
            case .invalid(let field, let message):
                return .invalidField(field, message)
            case .conflict(let message):
                return APIError(.conflict, code: "conflict", message: message)
            case .unavailable(let message):
                return APIError(.serviceUnavailable, code: "unavailable", message: message, headers: [.retryAfter: "1"])
            }
        case let error as RateLimiter.Refusal:
            return error.apiError
        case let error as JSONBodyError:
            return JSONInput.apiError(error)
        case let error as HTTPError:
            switch error.status {
            case .notFound: return .notFound
            case .contentTooLarge: return .bodyTooLarge(nil)
            case .methodNotAllowed: return .methodNotAllowed([])
            default:
                return APIError(error.status, code: "http_\(error.status.code)", message: error.status.reasonPhrase.lowercased())
            }
        default:
            // Unexpected: log the type only (its description may contain request data).
            context.logger.error("unexpected error", metadata: ["error.type": .string(String(describing: type(of: error)))])
            return .internalError
        }
    }
}

extension HTTPField.Name {
    static let requestID = HTTPField.Name("X-Request-Id")!
}

/// Refuses requests whose key is missing or unknown (401) or lacks `scope` (403), before the body is read.
struct RequireScope: RouterMiddleware {
    typealias Context = ServerContext
    let scope: APIScope

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        guard let principal = context.principal else { throw APIError.unauthorized }
        guard principal.scopes.contains(scope) else { throw APIError.forbidden(scope) }
        return try await next(request, context)
    }
}
