import ArgumentParser
import Foundation
import Logging
import RiskGateDelivery
import RiskGateEngine
import RiskGatePolicy
import RiskGateServer
import ServiceLifecycle

/// `riskgate deliver`: posts a state database's outbox to a webhook, apart from `serve`.
struct DeliverCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deliver",
        abstract: "Post the outbox's messages (OTP codes, hand-offs) to a webhook, signed; runs until SIGTERM or SIGINT.",
        discussion: """
            Each message is POSTed as JSON with `RiskGate-Signature: t=UNIX_SECONDS,v1=HEX` (HMAC-SHA256 of \
            "{t}.{body}" under the secret) and an `Idempotency-Key`. A message leaves the outbox after a 2xx \
            answer; other answers and timeouts are retried with exponential backoff, and the last failed attempt \
            moves it to the dead letters (`riskgate challenge dead-letters`). Expired codes are never sent. \
            See docs/delivery.md.
            """)

    @Option(help: "State database (SQLite).") var state: String
    @OptionGroup var secrets: SecretsKeyOption
    @Option(help: ArgumentHelp("The webhook to POST each message to (http:// or https://).", valueName: "url")) var webhook: String
    @OptionGroup var webhookOptions: WebhookOptions
    @Flag(help: "Deliver until the outbox is empty (every message delivered, expired or dead-lettered), print a summary and exit; 1 when a message was dead-lettered.")
    var once = false
    @Option(help: "Attempts a message gets before it moves to the dead letters.") var maxAttempts: Int = 8
    @Option(help: "Seconds one attempt may take (a timeout counts as a failed attempt).") var timeout: Double = 10
    @Option(help: "Seconds to wait after the first failure (doubling each time, with jitter).") var retryBase: Double = 1
    @Option(help: "Longest wait between attempts, in seconds.") var retryMax: Double = 300
    @Option(help: "Seconds between reads of the outbox when nothing is due.") var pollInterval: Double = 0.5
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.") var logLevel: String = "info"
    @Option(help: "Log format on standard error: json (one object a line) or text.") var logFormat: String = "json"

    func validate() throws {
        try webhookOptions.validate(url: webhook, urlFlag: "--webhook")
        try Self.validateLimits(maxAttempts: maxAttempts, timeout: timeout, prefix: "--")
        guard retryBase > 0, retryBase <= 3600, retryMax >= retryBase, retryMax <= 86_400 else {
            throw ValidationError("--retry-base must be in (0, 3600] seconds and --retry-max in [--retry-base, 86400]")
        }
        guard pollInterval > 0, pollInterval <= 3600 else { throw ValidationError("--poll-interval must be in (0, 3600] seconds") }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
        guard logFormat == "json" || logFormat == "text" else { throw ValidationError("--log-format must be `json` or `text`") }
    }

    /// The ranges `serve` and `deliver` accept for attempts and timeouts.
    static func validateLimits(maxAttempts: Int, timeout: Double, prefix: String) throws {
        guard (1...100).contains(maxAttempts) else { throw ValidationError("\(prefix)max-attempts must be between 1 and 100") }
        guard timeout > 0, timeout <= 600 else { throw ValidationError("\(prefix)timeout must be in (0, 600] seconds") }
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        let json = logFormat == "json"
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler = json ? JSONLogHandler(label: label) : StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        // The JSON handler buffers lines off the calling thread; write them out before the process exits.
        defer { if json { JSONLogHandler.standardError.flush() } }
        var delivery: DeliveryConfiguration
        do {
            delivery = try webhookOptions.configuration(
                url: webhook, maxAttempts: maxAttempts, timeout: timeout,
                retry: RetrySchedule(base: .milliseconds(Int64(retryBase * 1000)), maximum: .milliseconds(Int64(retryMax * 1000))))
        } catch {
            printError("riskgate deliver: \(error)")
            throw ExitCode(2)
        }
        delivery.pollInterval = .milliseconds(Int64(pollInterval * 1000))
        let store = try StateCLI.open(state, create: false, secrets: secrets)
        let deliverer = OutboxDeliverer(store: store, configuration: delivery, logger: Logger(label: "riskgate.delivery"))
        if once {
            let pass: OutboxDeliverer.Pass
            do {
                pass = try await deliverer.drain()
            } catch {
                await deliverer.shutdown()
                printError("riskgate deliver: \(error)")
                throw ExitCode(2)
            }
            await deliverer.shutdown()
            StateCLI.printJSON(["sent": pass.sent, "retried": pass.retried, "dead_lettered": pass.deadLettered,
                                "expired": pass.expired], pretty: false)
            if pass.deadLettered > 0 { throw ExitCode(1) }
            return
        }
        let group = ServiceGroup(configuration: .init(
            services: [deliverer], gracefulShutdownSignals: [.sigterm, .sigint], logger: Logger(label: "riskgate.delivery")))
        do {
            try await group.run()
        } catch {
            printError("riskgate deliver: \(error)")
            throw ExitCode(2)
        }
    }
}
