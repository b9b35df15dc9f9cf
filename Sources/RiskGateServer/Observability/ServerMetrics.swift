import CoreMetrics
import Prometheus
import RiskGatePolicy

/// The service's metrics, recorded through swift-metrics into a Prometheus registry owned by this value.
///
/// Each server gets its own registry (no global `MetricsSystem.bootstrap`), so tests and several
/// servers in one process never share counters. `GET /metrics` renders ``registry``.
public struct ServerMetrics: Sendable {
    /// The registry `GET /metrics` renders.
    public let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory

    /// Latency buckets for decisions: the engine answers in micro- to milliseconds, SQLite
    /// fsyncs can take tens of milliseconds.
    static let latencyBuckets: [Duration] = [
        .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2),
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5),
    ]

    private let decisions: [Outcome: CoreMetrics.Counter]
    private let decisionLatency: CoreMetrics.Timer
    private let challengeResults: [VerificationReply.Result: CoreMetrics.Counter]
    private let lockouts: CoreMetrics.Counter
    private let policyChanges: [String: CoreMetrics.Counter]
    /// Response counters for the statuses the service sends, made once (not looked up per request).
    private let responses: [Int: CoreMetrics.Counter]
    private let logLinesDropped: CoreMetrics.Counter

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets["riskgate_decision_duration_seconds"] = Self.latencyBuckets
        self.factory = factory
        // Created up front so every series is exported (at 0) from the first scrape.
        decisions = Dictionary(uniqueKeysWithValues: Outcome.allCases.map {
            ($0, CoreMetrics.Counter(label: "riskgate_decisions_total", dimensions: [("outcome", $0.rawValue)], factory: factory))
        })
        decisionLatency = CoreMetrics.Timer(label: "riskgate_decision_duration_seconds", factory: factory)
        challengeResults = Dictionary(uniqueKeysWithValues: VerificationReply.Result.allCases.map {
            ($0, CoreMetrics.Counter(label: "riskgate_challenge_results_total", dimensions: [("result", $0.rawValue)], factory: factory))
        })
        lockouts = CoreMetrics.Counter(label: "riskgate_lockouts_total", factory: factory)
        var changes: [String: CoreMetrics.Counter] = [:]
        for slot in ["active", "shadow"] {
            for result in ["accepted", "rejected"] {
                changes["\(slot)/\(result)"] = CoreMetrics.Counter(
                    label: "riskgate_policy_changes_total", dimensions: [("slot", slot), ("result", result)], factory: factory)
            }
        }
        policyChanges = changes
        logLinesDropped = CoreMetrics.Counter(label: "riskgate_log_lines_dropped_total", factory: factory)
        responses = Dictionary(uniqueKeysWithValues: [200, 400, 401, 403, 404, 405, 408, 413, 422, 429, 500, 503].map {
            ($0, CoreMetrics.Counter(label: "riskgate_http_responses_total", dimensions: [("status", String($0))], factory: factory))
        })
    }

    /// Counts a decision by outcome and records how long the backend took.
    func decision(_ outcome: Outcome, duration: Duration) {
        decisions[outcome]?.increment()
        decisionLatency.recordNanoseconds(duration.nanoseconds)
    }

    /// Counts a verification by result.
    func challengeResult(_ result: VerificationReply.Result) {
        challengeResults[result]?.increment()
    }

    /// Counts one account lockout, when it happens: a failed password or challenge response that
    /// locked the account. Replies to an account already locked are not lockouts.
    func lockout() {
        lockouts.increment()
    }

    /// Counts a policy replacement; `slot` is `active` or `shadow`.
    func policyChange(slot: String, accepted: Bool) {
        policyChanges["\(slot)/\(accepted ? "accepted" : "rejected")"]?.increment()
    }

    /// Counts a response by status code (a handful of distinct values).
    func response(status: Int) {
        if let counter = responses[status] { return counter.increment() }
        CoreMetrics.Counter(label: "riskgate_http_responses_total", dimensions: [("status", String(status))], factory: factory)
            .increment()
    }

    /// Makes metrics in this server's registry, for services run beside it (the webhook deliverer).
    package var metricsFactory: any MetricsFactory { factory }

    /// Counts a log line the ``LogLineWriter`` dropped because its buffer was full.
    public func logLineDropped() {
        logLinesDropped.increment()
    }

    /// The Prometheus text exposition of every metric.
    public func render() -> String { registry.emitToString() }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
