import ArgumentParser
import RiskGate

/// Builds the decider `riskgate replay` runs a policy with — the one hook between the replay
/// command and the decision engine.
///
/// The lead replaces this body when the `DecisionEngine` is integrated: compile the policy at
/// `policyPath` (policy problems → print diagnostics and `throw ExitCode(1)`), open a fresh
/// in-memory store — or, with `statePath`, a private copy of that store (replay must never write
/// to the user's database, and a baseline and a candidate each get their own copy) — and
/// return an engine adapter that applies SPEC §7's challenge semantics.
///
/// - Throws: `ValidationError` until the engine is integrated.
func makeReplayDecider(policyPath: String, statePath: String?) throws -> ReplayDecider {
    throw ValidationError("replay is not integrated with the decision engine yet (policy `\(policyPath)` was not run)")
}
