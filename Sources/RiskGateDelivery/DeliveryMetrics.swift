import CoreMetrics
import Foundation

/// The deliverer's metrics, through swift-metrics: `serve` records them into the registry that
/// `GET /metrics` renders.
public struct DeliveryMetrics: Sendable {
    private let sent: CoreMetrics.Counter
    private let retried: CoreMetrics.Counter
    private let deadLettered: CoreMetrics.Counter
    private let expired: CoreMetrics.Counter
    private let queueAge: CoreMetrics.Gauge

    /// Metrics made by `factory` (by default the process's `MetricsSystem`).
    public init(factory: any MetricsFactory = MetricsSystem.factory) {
        // Made up front, so every series is exported (at 0) from the first scrape.
        sent = CoreMetrics.Counter(label: "riskgate_delivery_sent_total", factory: factory)
        retried = CoreMetrics.Counter(label: "riskgate_delivery_retries_total", factory: factory)
        deadLettered = CoreMetrics.Counter(label: "riskgate_delivery_dead_letters_total", factory: factory)
        expired = CoreMetrics.Counter(label: "riskgate_delivery_expired_total", factory: factory)
        queueAge = CoreMetrics.Gauge(label: "riskgate_delivery_queue_age_seconds", factory: factory)
        queueAge.record(0)
    }

    /// A message the webhook accepted (2xx).
    func recordSent() { sent.increment() }
    /// A failed attempt that will be tried again.
    func recordRetry() { retried.increment() }
    /// A message moved to the dead letters.
    func recordDeadLetter() { deadLettered.increment() }
    /// An OTP whose code expired before it could be sent, removed unsent.
    func recordExpired() { expired.increment() }
    /// The age of the oldest message still queued (0 for an empty outbox).
    func recordQueueAge(_ seconds: Double) { queueAge.record(max(0, seconds)) }
}
