import Foundation
import RiskGate
import RiskGateServer
import ServiceLifecycle
import Testing
import RiskGatePolicy

/// The service logs the audit head, an anchor kept outside the database (`audit verify --anchor`).
@Suite("audit head in the log")
struct AuditAnchorLogTests {
    @Test func theHeadIsLoggedAtNoticeAtStartEveryIntervalAndAtStop() async throws {
        let source = """
        riskgate: 1
        policy: anchors
        decide:
          - { id: default, outcome: passive }
        """
        let policy = try #require(PolicyCompiler.compile(source: source, file: "anchors.yaml", baseDirectory: nil).policy)
        let engine = try DecisionEngine(policy: policy, source: source, store: MemoryStateStore())
        let backend = EngineBackend(engine: engine, baseDirectory: nil)
        _ = try await backend.decide(RequestContext(user: "u-1"), explain: false)
        _ = try await backend.decide(RequestContext(user: "u-2"), explain: false)
        let logs = LogCapture()
        // Three intervals pass at once; the fourth wait lasts until the shutdown.
        let waits = Counter()
        let service = AuditAnchorLogger(backend: backend, interval: .seconds(60), logger: logs.logger()) { _ in
            if waits.next() > 3 { try await Task.sleep(for: .seconds(3600)) }
        }
        func lines() -> [[String: Any]] {
            logs.lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
                .filter { $0["msg"] as? String == "audit head" }
        }
        // Run as `serve` runs it: in a service group, stopped by a graceful shutdown.
        let group = ServiceGroup(configuration: .init(services: [service], logger: logs.logger()))
        let task = Task { try await group.run() }
        // A budget of polls, not of wall time: while other tests' blocking work holds every thread
        // of the shared pool (the parallel replays of ReplayThreadsTests do for minutes), neither
        // this loop nor the service runs, and that time must not count against the service.
        var polls = 0
        while lines().count < 4 && polls < 6_000 {
            try await Task.sleep(for: .milliseconds(20))
            polls += 1
        }
        #expect(lines().count == 4, "start and three intervals: \(logs.text)")
        await group.triggerGracefulShutdown()
        try await task.value
        let lines = lines()
        #expect(lines.count == 5, "and one at stop: \(logs.text)")
        let head = try AuditHead(of: engine.store)
        #expect(head.records == 2)
        for line in lines {
            #expect(line["level"] as? String == "notice")
            #expect(line["audit.anchor"] as? String == head.anchor)
        }
        // The anchor it logged verifies the log.
        let anchor = try #require(AuditAnchor(head.anchor))
        #expect(try AuditVerifier.verify(store: engine.store, anchors: [anchor]).valid)
    }
}

/// Counts calls across tasks.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    /// The count after this call.
    func next() -> Int { lock.withLock { value += 1; return value } }
}
