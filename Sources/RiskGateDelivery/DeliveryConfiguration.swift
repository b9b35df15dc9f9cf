import Foundation

/// Where and how outbox messages are delivered.
public struct DeliveryConfiguration: Sendable {
    /// The webhook every message is posted to (http or https).
    public var url: URL
    /// The HMAC key of ``WebhookSignature``; read from a file, never from the command line.
    public var secret: [UInt8]
    /// Attempts a message gets before it moves to the dead letters (at least 1).
    public var maxAttempts: Int
    /// How long one attempt may take, connecting included, before it counts as failed.
    public var timeout: Duration
    /// The waits between attempts.
    public var retry: RetrySchedule
    /// How often the outbox is read when nothing is due sooner.
    public var pollInterval: Duration
    /// Most outbox messages read per pass (the oldest first).
    public var batchSize: Int
    /// Most users whose messages are posted at the same time (each user's in order, one at a time).
    public var concurrency: Int

    public init(url: URL, secret: [UInt8], maxAttempts: Int = 8, timeout: Duration = .seconds(10),
                retry: RetrySchedule = RetrySchedule(), pollInterval: Duration = .milliseconds(500),
                batchSize: Int = 500, concurrency: Int = 8) {
        self.url = url; self.secret = secret; self.maxAttempts = max(1, maxAttempts); self.timeout = timeout
        self.retry = retry; self.pollInterval = pollInterval; self.batchSize = max(1, batchSize)
        self.concurrency = max(1, concurrency)
    }

    /// Why a webhook URL cannot be used, or `nil` for a usable one.
    public static func problem(with url: String) -> String? {
        guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let host = parsed.host, !host.isEmpty else {
            return "must be an http:// or https:// URL with a host"
        }
        return nil
    }
}
