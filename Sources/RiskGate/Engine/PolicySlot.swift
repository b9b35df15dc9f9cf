import Foundation
import RiskGateEngine
import RiskGatePolicy

/// The active policy and the decision kernel built on it, swapped atomically.
///
/// A request takes one snapshot at its start and uses it to the end, so a swap never mixes two
/// policies inside one decision and never fails a request in flight.
final class PolicySlot: @unchecked Sendable {
    /// A class, so that taking one (twice a decision) retains one reference rather than every
    /// array and string of the policy and its signal computer.
    final class Snapshot: Sendable {
        /// The policy with its signal computer, built once per policy rather than per request.
        let kernel: DecisionKernel
        var policy: CompiledPolicy { kernel.policy }
        var computer: SignalComputer { kernel.computer }
        /// The policy's YAML text, for `GET /v1/policy`.
        let source: String

        init(kernel: DecisionKernel, source: String) {
            self.kernel = kernel
            self.source = source
        }
    }

    private let lock = NSLock()
    private var current: Snapshot?

    init(_ snapshot: Snapshot?) { current = snapshot }

    func load() -> Snapshot? { lock.withLock { current } }

    func store(_ snapshot: Snapshot?) { lock.withLock { current = snapshot } }
}
