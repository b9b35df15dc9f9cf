import RiskGate
import RiskGateServer

/// Builds the engine behind `riskgate serve`: the compiled policy at `policyPath` over the store at
/// `statePath` (in memory when nil).
///
/// - Throws: ``BackendFactoryError`` until the core's compiler, store and challenges are integrated.
func makeBackend(policyPath: String, statePath: String?) throws -> any DecisionBackend {
    throw BackendFactoryError.notIntegrated
}

/// Why `serve` could not build its backend.
enum BackendFactoryError: Error, CustomStringConvertible {
    case notIntegrated

    var description: String {
        switch self {
        case .notIntegrated:
            "the decision backend is not integrated yet: `serve` needs the policy compiler and state store wired into makeBackend(policyPath:statePath:)"
        }
    }
}
