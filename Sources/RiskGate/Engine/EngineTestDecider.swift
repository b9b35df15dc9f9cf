import Foundation
import RiskGateEngine
import RiskGatePolicy

extension PolicyTestRunner {
    /// Runs each test case through a fresh ``DecisionEngine`` over an in-memory store: the case's
    /// `history` events are decided first (building history, devices, templates and counters, as
    /// the service would), then the case's context is decided with explanation.
    ///
    /// Events without a `time` are spaced one minute apart.
    public static let engine: Decide = { policy, history, context in
        let start = history.first?.time ?? context.time ?? Date(timeIntervalSince1970: 1_790_000_000)
        let clock = ManualClock(start)
        let engine = try DecisionEngine(policy: policy, store: MemoryStateStore(), clock: clock)
        for event in history {
            if let time = event.time { clock.set(time) } else { clock.advance(60) }
            _ = try engine.decide(event)
        }
        if let time = context.time { clock.set(time) } else { clock.advance(60) }
        return try engine.decide(context, explain: true)
    }
}
