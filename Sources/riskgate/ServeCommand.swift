import ArgumentParser
import Foundation
import Logging
import RiskGate
import RiskGateDelivery
import RiskGateEngine
import RiskGateServer
import ServiceLifecycle

/// `riskgate serve`: the HTTP decision service (docs/http-api.md).
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the HTTP decision service.",
        discussion: "Every endpoint but /healthz needs `Authorization: Bearer KEY` (/metrics too, unless --public-metrics). "
            + "The keys file holds one key (or `sha256:HEX` of it) a line with its scopes: "
            + "`KEY decide,verify,admin,metrics  # comment`; it must not be readable by others (chmod 600). "
            + "Stops on SIGTERM or SIGINT after in-flight requests finish. See docs/http-api.md."
    )

    @Option(name: .long, help: "The policy file to enforce.")
    var policy: String

    @Option(name: .long, help: "State database: a SQLite file (created if missing) or a postgres:// URL shared by replicas; in memory when omitted.")
    var state: String?

    @OptionGroup var secrets: SecretsKeyOption

    @Option(name: .long, help: "Address to listen on, HOST:PORT (IPv6 as [::1]:PORT).")
    var listen: String = "127.0.0.1:8080"

    @Option(name: .long, help: "API keys file: one `KEY scope[,scope...]` a line, `#` comments. When omitted, one random key with every scope is made for this run and printed once on standard error.")
    var keys: String?

    @Option(name: .long, help: "An MMDB database (City/Country, ASN, Anonymous-IP); repeat for several.")
    var geoDb: [String] = []

    @Option(name: .long, help: "Largest accepted JSON body in bytes.")
    var maxBodyBytes: Int = 64 * 1024

    @Option(name: .long, help: "Seconds a request body may take to arrive (408 after).")
    var bodyTimeout: Double = 10

    @Option(name: .long, help: "Seconds an idle connection is kept open.")
    var idleTimeout: Double = 30

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    @Option(name: .long, help: "Log format on standard error: json (one object a line) or text.")
    var logFormat: String = "json"

    @Option(name: .long, help: "PEM certificate chain; serve HTTPS (needs --tls-key).")
    var tlsCert: String?

    @Option(name: .long, help: "PEM private key for --tls-cert; must not be accessible to group or others (chmod 600).")
    var tlsKey: String?

    @Option(name: .long, help: "Requests per API key: RATE/s[:BURST] (burst defaults to twice the rate), or off.")
    var rateLimitPerKey: String = RateLimits.defaultPerKey.description

    @Option(name: .long, help: "Requests per client address: RATE/s[:BURST], or off.")
    var rateLimitPerAddress: String = RateLimits.defaultPerAddress.description

    @Option(name: .long, help: "Failed authentications (401) per client address before keyed requests from it get 429: RATE/s[:BURST], or off.")
    var rateLimitAuthFailures: String = RateLimits.defaultAuthFailuresPerAddress.description

    @Option(name: .long, help: "A proxy's IP address whose X-Forwarded-For names the client (repeat for several). None by default.")
    var trustedProxy: [String] = []

    @Flag(name: .long, help: "Answer GET /metrics without a key (by default it needs a key with the `metrics` scope).")
    var publicMetrics = false

    @Option(name: .long, help: ArgumentHelp("Also append every committed audit record as a JSON line (as `audit export` writes them) to FILE (created 0600) or - for standard output.",
                                            valueName: "file|-"))
    var auditStream: String?

    @Option(name: .long, help: ArgumentHelp("POST every outbox message (OTP codes, hand-offs) to this webhook, signed with --webhook-secret-file (see docs/delivery.md).", valueName: "url"))
    var deliverWebhook: String?

    @OptionGroup var webhook: WebhookOptions

    @Option(name: .long, help: "Attempts a message gets before it moves to the dead letters.")
    var deliverMaxAttempts: Int = 8

    @Option(name: .long, help: "Seconds one webhook attempt may take (a timeout counts as a failed attempt).")
    var deliverTimeout: Double = 10

    func validate() throws {
        guard logFormat == "json" || logFormat == "text" else {
            throw ValidationError("--log-format must be `json` or `text`")
        }
        guard (try? Self.parseListen(listen)) != nil else {
            throw ValidationError("--listen must be HOST:PORT with a port 0...65535, got `\(listen)`")
        }
        guard maxBodyBytes >= 1024, maxBodyBytes <= 16 << 20 else {
            throw ValidationError("--max-body-bytes must be between 1024 and 16777216")
        }
        guard bodyTimeout > 0, bodyTimeout <= 600, idleTimeout > 0, idleTimeout <= 3600 else {
            throw ValidationError("--body-timeout must be in (0, 600] and --idle-timeout in (0, 3600] seconds")
        }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
        guard (tlsCert == nil) == (tlsKey == nil) else {
            throw ValidationError("--tls-cert and --tls-key go together: give both, or neither for plain HTTP")
        }
        for (flag, value) in [("--rate-limit-per-key", rateLimitPerKey), ("--rate-limit-per-address", rateLimitPerAddress),
                              ("--rate-limit-auth-failures", rateLimitAuthFailures)] {
            // Not `try?`: `off` parses to nil, which `try?` could not tell from a failure.
            do { _ = try Self.parseRateLimit(value) } catch {
                throw ValidationError("\(flag) must be RATE/s, RATE/s:BURST (e.g. 100/s:500) or off, got `\(value)`")
            }
        }
        for address in trustedProxy where !Self.isIPAddress(address) {
            throw ValidationError("--trusted-proxy must be an IP address, got `\(address)`")
        }
        try webhook.validate(url: deliverWebhook, urlFlag: "--deliver-webhook")
        try DeliverCommand.validateLimits(maxAttempts: deliverMaxAttempts, timeout: deliverTimeout, prefix: "--deliver-")
    }

    /// An IPv4 or IPv6 address literal.
    static func isIPAddress(_ text: String) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 16)
        return inet_pton(AF_INET, text, &buffer) == 1 || inet_pton(AF_INET6, text, &buffer) == 1
    }

    /// `off`, or a ``RateLimit`` in flag form.
    static func parseRateLimit(_ text: String) throws -> RateLimit? {
        if text == "off" { return nil }
        guard let limit = RateLimit(parsing: text) else { throw ValidationError("bad rate limit") }
        return limit
    }

    func run() async throws {
        let (host, port) = try Self.parseListen(listen)
        let level = Logger.Level(rawValue: logLevel) ?? .info
        let json = logFormat == "json"
        // The access log goes through a buffered writer thread: a request never waits for standard error.
        let metrics = ServerMetrics()
        let logWriter = LogLineWriter(onDrop: { metrics.logLineDropped() })
        defer { logWriter.close() }
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler = json ? JSONLogHandler(label: label, writer: logWriter) : StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let keyStore: APIKeyStore
        do {
            if let keys {
                keyStore = try APIKeyStore(contentsOf: keys)
            } else {
                // A usable service without set-up, never an open one: a fresh CSPRNG key for this
                // run, shown once to whoever started it (not through the log handler).
                let key = "rg-" + SystemRandomSource().bytes(24).hexString
                keyStore = try APIKeyStore(keys: [(key: key, scopes: Set(APIScope.allCases))])
                let scopes = APIScope.allCases.map(\.rawValue).joined(separator: ", ")
                Self.fail("riskgate serve: no --keys file; this run's API key (scopes \(scopes)): \(key)")
            }
        } catch {
            Self.fail("riskgate serve: \(error)")
            throw ExitCode(2)
        }
        var logger = Logger(label: "riskgate.server")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        var configuration = ServerConfiguration(
            host: host, port: port, maxBodyBytes: maxBodyBytes,
            bodyTimeout: .milliseconds(Int64(bodyTimeout * 1000)), idleTimeout: .milliseconds(Int64(idleTimeout * 1000)),
            rateLimits: RateLimits(perKey: try Self.parseRateLimit(rateLimitPerKey),
                                   perAddress: try Self.parseRateLimit(rateLimitPerAddress),
                                   authFailuresPerAddress: try Self.parseRateLimit(rateLimitAuthFailures)),
            trustedProxies: Set(trustedProxy), publicMetrics: publicMetrics)
        configuration.auditStream = auditStream.map(AuditStreamTarget.init)
        if let tlsCert, let tlsKey {
            do {
                try configuration.enableTLS(certificatePath: tlsCert, keyPath: tlsKey)
            } catch {
                Self.fail("riskgate serve: \(error)")
                throw ExitCode(2)
            }
        }
        let delivery: DeliveryConfiguration?
        do {
            delivery = try deliverWebhook.map {
                try webhook.configuration(url: $0, maxAttempts: deliverMaxAttempts, timeout: deliverTimeout)
            }
        } catch {
            Self.fail("riskgate serve: \(error)")
            throw ExitCode(2)
        }
        let backend: any DecisionBackend
        let store: any StateStore
        do {
            (backend, store) = try makeBackend(policyPath: policy, statePath: state, secrets: try secrets.keyring(), geoPaths: geoDb)
        } catch {
            Self.fail("riskgate serve: \(error)")
            // A database that cannot be read is an I/O problem (2); a policy or state problem is 1.
            if case BackendFactoryError.geo = error { throw ExitCode(2) }
            throw ExitCode(1)
        }
        var services: [any Service] = []
        if let delivery {
            var deliveryLogger = Logger(label: "riskgate.delivery")
            deliveryLogger.logLevel = logger.logLevel
            services.append(OutboxDeliverer(store: store, configuration: delivery,
                                            metrics: DeliveryMetrics(factory: metrics.metricsFactory), logger: deliveryLogger))
        }
        try await Self.serve(backend, keys: keyStore, configuration: configuration, metrics: metrics, services: services,
                             logger: logger)
    }

    /// Opens the existential so the generic server is specialised for the concrete backend.
    static func serve<Backend: DecisionBackend>(_ backend: Backend, keys: APIKeyStore, configuration: ServerConfiguration,
                                                metrics: ServerMetrics, services: [any Service], logger: Logger) async throws {
        let app = try makeApplication(
            backend: backend, keys: keys, configuration: configuration, metrics: metrics, logger: logger, services: services,
            onServerRunning: { port in
                logger.notice("riskgate serving", metadata: [
                    "keys": .stringConvertible(keys.count), "port": .stringConvertible(port),
                    "tls": .stringConvertible(configuration.tls != nil),
                ])
            })
        do {
            try await app.runService()
        } catch {
            await backend.shutdown()
            fail("riskgate serve: \(error)")
            throw ExitCode(2)
        }
        await backend.shutdown()
    }

    /// `HOST:PORT`, `[IPv6]:PORT`.
    static func parseListen(_ text: String) throws -> (String, Int) {
        guard let colon = text.lastIndex(of: ":") else { throw ValidationError("missing port") }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
            throw ValidationError("bad HOST:PORT")
        }
        return (host, port)
    }

    static func fail(_ message: String) {
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }
}
