import Foundation
import RiskGatePolicy

/// The active policy and its derived signal computer, swapped atomically.
///
/// A request takes one snapshot at its start and uses it to the end, so a swap never mixes two
/// policies inside one decision and never fails a request in flight.
final class PolicySlot: @unchecked Sendable {
    struct Snapshot: Sendable {
        let policy: CompiledPolicy
        let computer: SignalComputer
        /// The policy's YAML text, for `GET /v1/policy`.
        let source: String
    }

    private let lock = NSLock()
    private var current: Snapshot?

    init(_ snapshot: Snapshot?) { current = snapshot }

    func load() -> Snapshot? { lock.withLock { current } }

    func store(_ snapshot: Snapshot?) { lock.withLock { current = snapshot } }
}
