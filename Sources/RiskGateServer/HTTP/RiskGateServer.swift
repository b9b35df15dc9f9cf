import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle

/// Limits and addresses of the HTTP service.
public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// Largest JSON body accepted (decisions, verifications, feedback, accounts); larger gets 413.
    public var maxBodyBytes: Int
    /// Largest policy text accepted by `PUT /v1/policy` (docs/policy-language.md caps policies at 1 MiB).
    public var maxPolicyBytes: Int
    /// A body must arrive within this time once its headers have; otherwise 408 and the connection closes.
    public var bodyTimeout: Duration
    /// A connection that sends nothing (including slowly sent headers) for this long is closed.
    public var idleTimeout: Duration
    /// TLS for every connection (see ``TLSFiles``); plain HTTP when nil.
    public var tls: TLSConfiguration?
    /// Per-key and per-address token buckets; on by default (docs/http-api.md, "Rate limits").
    public var rateLimits: RateLimits
    /// Peers whose `X-Forwarded-For` names the client (a TLS-terminating proxy); none by default.
    public var trustedProxies: Set<String>
    /// Whether `GET /metrics` answers without a key; by default it needs one with the `metrics` scope.
    public var publicMetrics: Bool
    /// How often the audit log's head is logged at `notice` as an anchor outside the database
    /// (also at start and stop); `nil` turns the line off.
    public var auditHeadInterval: Duration? = .seconds(60)
    /// Where every committed audit record is also appended as a JSON line (`serve --audit-stream`); off when nil.
    public var auditStream: AuditStreamTarget?

    public init(host: String = "127.0.0.1", port: Int = 8080, maxBodyBytes: Int = 64 * 1024,
                maxPolicyBytes: Int = 1 << 20, bodyTimeout: Duration = .seconds(10), idleTimeout: Duration = .seconds(30),
                tls: TLSConfiguration? = nil, rateLimits: RateLimits = RateLimits(), trustedProxies: Set<String> = [],
                publicMetrics: Bool = false) {
        self.host = host; self.port = port; self.maxBodyBytes = maxBodyBytes; self.maxPolicyBytes = maxPolicyBytes
        self.bodyTimeout = bodyTimeout; self.idleTimeout = idleTimeout
        self.tls = tls; self.rateLimits = rateLimits; self.trustedProxies = trustedProxies; self.publicMetrics = publicMetrics
    }
}

/// Builds the router of the RiskGate HTTP service (docs/http-api.md) over a backend.
///
/// Use it directly for in-process tests (`app.test(.router)`); ``makeApplication(backend:keys:configuration:metrics:logger:services:onServerRunning:)``
/// wraps it in a listening server.
public func makeRouter<Backend: DecisionBackend>(
    backend: Backend, keys: APIKeyStore, configuration: ServerConfiguration = .init(),
    metrics: ServerMetrics = ServerMetrics()
) -> Router<ServerContext> {
    let router = Router(context: ServerContext.self)
    router.add(middleware: GatewayMiddleware(
        keys: keys, metrics: metrics, limiter: RateLimiter(configuration.rateLimits),
        clientAddress: ClientAddress(trustedProxies: configuration.trustedProxies)))
    Routes(
        backend: backend, metrics: metrics, publicMetrics: configuration.publicMetrics,
        jsonBody: BodyReader(limit: configuration.maxBodyBytes, timeout: configuration.bodyTimeout),
        policyBody: BodyReader(limit: configuration.maxPolicyBytes, timeout: configuration.bodyTimeout)
    ).register(on: router)
    return router
}

/// The RiskGate HTTP service as a Hummingbird application, ready to `runService()`.
///
/// `runService()` stops on SIGTERM or SIGINT after in-flight requests have finished; call the
/// backend's ``DecisionBackend/shutdown()`` after it returns.
/// - Parameters:
///   - services: run beside the server and stopped with it (e.g. the outbox's webhook deliverer).
///   - onServerRunning: called with the bound port once the server listens (useful with port 0).
/// - Throws: when HummingbirdTLS refuses ``ServerConfiguration/tls`` (``TLSFiles`` checks it first).
public func makeApplication<Backend: DecisionBackend>(
    backend: Backend, keys: APIKeyStore, configuration: ServerConfiguration = .init(),
    metrics: ServerMetrics = ServerMetrics(), logger: Logger = Logger(label: "riskgate.server"),
    services extraServices: [any Service] = [],
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) throws -> Application<RouterResponder<ServerContext>> {
    let router = makeRouter(backend: backend, keys: keys, configuration: configuration, metrics: metrics)
    let idle = TimeAmount.nanoseconds(configuration.idleTimeout.nanoseconds)
    var server = HTTPServerBuilder.http1(configuration: .init(idleTimeout: idle))
    if let tls = configuration.tls {
        server = try .tls(server, tlsConfiguration: tls)
    }
    var services: [any Service] = extraServices
    if let interval = configuration.auditHeadInterval {
        services.append(AuditAnchorLogger(backend: backend, interval: interval, logger: logger))
    }
    if let target = configuration.auditStream {
        services.append(AuditStreamer(backend: backend, target: target, logger: logger))
    }
    return Application(
        router: router,
        server: server,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "riskgate"),
        services: services,
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.port) },
        logger: logger
    )
}
