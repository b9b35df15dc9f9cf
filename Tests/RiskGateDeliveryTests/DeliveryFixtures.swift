import Foundation
import Logging
@testable import RiskGate
@testable import RiskGateDelivery
@testable import RiskGateEngine
@testable import RiskGatePolicy

/// The secret the tests sign with.
let testSecret = Array("whsec-test-0123456789abcdef0123456789".utf8)

/// An OTP outbox message with a real sealed code, as `ChallengeService` writes one.
func otpMessage(user: String, code: String, challenge: String, destination: String, created: Date, ttl: Int = 300,
                keyring: SecretsKeyring) -> OutboxMessage {
    OutboxMessage(created: created, kind: "otp", channel: "sms", user: user, destination: destination, challenge: challenge,
                  body: AuditRecord.compactJSON([
                      OutboxMessage.sealedCodeKey: SecretHashing.sealOutboxCode(code, challenge: challenge, keyring: keyring,
                                                                                random: SystemRandomSource()),
                      "ttl_s": String(ttl),
                  ]))
}

/// A fresh SQLite store in a temporary folder.
func temporaryStore() throws -> (SQLiteStateStore, URL) {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rg-delivery-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return (try SQLiteStateStore(path: folder.appendingPathComponent("state.db").path), folder)
}

/// Every log line, rendered with its metadata, so a test can search them for secrets.
final class CapturedLogs: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []

    func logger(_ label: String = "riskgate.delivery") -> Logger {
        var logger = Logger(label: label) { _ in Handler(sink: self) }
        logger.logLevel = .trace
        return logger
    }

    var all: [String] { lock.withLock { lines } }
    fileprivate func append(_ line: String) { lock.withLock { lines.append(line) } }

    struct Handler: LogHandler {
        let sink: CapturedLogs
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            let all = metadata.merging(event.metadata ?? [:]) { $1 }
            sink.append("\(event.level) \(event.message) \(all.map { "\($0)=\($1)" }.sorted().joined(separator: " "))")
        }
    }
}

/// A deliverer over `store` whose clock only moves when it waits: retries come due at once in real
/// time, while the schedule (and an OTP's expiry) still sees the waits.
func manualDeliverer(store: any StateStore, url: URL, clock: ManualClock, maxAttempts: Int = 5, timeout: Duration = .seconds(5),
                     retry: RetrySchedule = RetrySchedule(base: .seconds(2), maximum: .seconds(60)),
                     metrics: DeliveryMetrics = DeliveryMetrics(), logs: CapturedLogs = CapturedLogs()) -> OutboxDeliverer {
    OutboxDeliverer(
        store: store,
        configuration: DeliveryConfiguration(url: url, secret: testSecret, maxAttempts: maxAttempts, timeout: timeout, retry: retry),
        clock: clock, random: SystemRandomSource(), metrics: metrics, logger: logs.logger(),
        wait: { duration in clock.advance(duration.seconds) })
}
