import Logging
import RiskGate
import ServiceLifecycle

/// Logs the audit log's head (`{"records": N, "hash": "…"}`) at `notice` when the service starts,
/// every `interval` while it runs, and when it stops.
///
/// Shipped with the rest of the log to a SIEM, each line is an anchor kept outside the database:
/// `riskgate audit verify DB --anchor N:HASH` then catches a tail deleted together with the
/// store's own head row, which the chain alone cannot.
package struct AuditAnchorLogger<Backend: DecisionBackend>: Service {
    let backend: Backend
    let interval: Duration
    let logger: Logger
    /// Waits one interval; injected so tests do not depend on the machine's load.
    let wait: @Sendable (Duration) async throws -> Void

    package init(backend: Backend, interval: Duration, logger: Logger,
                 wait: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }) {
        self.backend = backend; self.interval = interval; self.logger = logger; self.wait = wait
    }

    package func run() async throws {
        await log()
        // Ends (with one last line) when the service group shuts down.
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let interval = interval, wait = wait
            do {
                try await cancelOnGracefulShutdown { try await wait(interval) }
            } catch {
                break
            }
            if Task.isCancelled || Task.isShuttingDownGracefully { break }
            await log()
        }
        // The last line also when the task was cancelled: read outside the cancelled task, or the
        // blocking read it waits for would be refused.
        let final = self
        await Task.detached { await final.log() }.value
    }

    private func log() async {
        do {
            guard let head = try await backend.auditHead() else { return }
            logger.notice("audit head", metadata: [
                "audit.records": .stringConvertible(head.records), "audit.hash": .string(head.hash),
                "audit.anchor": .string(head.anchor),
            ])
        } catch {
            logger.error("audit head unreadable", metadata: ["error": .string("\(error)")])
        }
    }
}
