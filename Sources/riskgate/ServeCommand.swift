import ArgumentParser
import Foundation
import Logging
import RiskGate
import RiskGateServer

/// `riskgate serve`: the HTTP decision service (SPEC §8).
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the HTTP decision service.",
        discussion: "Every endpoint but /healthz and /metrics needs `Authorization: Bearer KEY`. "
            + "The keys file holds one key a line with its scopes: `KEY decide,verify,admin  # comment`. "
            + "Stops on SIGTERM or SIGINT after in-flight requests finish. See docs/http-api.md."
    )

    @Option(name: .long, help: "The policy file to enforce.")
    var policy: String

    @Option(name: .long, help: "SQLite state database (created if missing); in memory when omitted.")
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
    }

    func run() async throws {
        let (host, port) = try Self.parseListen(listen)
        let level = Logger.Level(rawValue: logLevel) ?? .info
        let json = logFormat == "json"
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler = json ? JSONLogHandler(label: label) : StreamLogHandler.standardError(label: label)
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
                Self.fail("riskgate serve: no --keys file; this run's API key (scopes decide, verify, admin): \(key)")
            }
        } catch {
            Self.fail("riskgate serve: \(error)")
            throw ExitCode(2)
        }
        let backend: any DecisionBackend
        do {
            backend = try makeBackend(policyPath: policy, statePath: state, secrets: try secrets.keyring(), geoPaths: geoDb)
        } catch {
            Self.fail("riskgate serve: \(error)")
            // A database that cannot be read is an I/O problem (2); a policy or state problem is 1.
            if case BackendFactoryError.geo = error { throw ExitCode(2) }
            throw ExitCode(1)
        }
        var logger = Logger(label: "riskgate.server")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        let configuration = ServerConfiguration(
            host: host, port: port, maxBodyBytes: maxBodyBytes,
            bodyTimeout: .milliseconds(Int64(bodyTimeout * 1000)), idleTimeout: .milliseconds(Int64(idleTimeout * 1000)))
        try await Self.serve(backend, keys: keyStore, configuration: configuration, logger: logger)
    }

    /// Opens the existential so the generic server is specialised for the concrete backend.
    static func serve<Backend: DecisionBackend>(_ backend: Backend, keys: APIKeyStore,
                                                configuration: ServerConfiguration, logger: Logger) async throws {
        let app = makeApplication(
            backend: backend, keys: keys, configuration: configuration, logger: logger,
            onServerRunning: { port in
                logger.notice("riskgate serving", metadata: ["keys": .stringConvertible(keys.count), "port": .stringConvertible(port)])
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
