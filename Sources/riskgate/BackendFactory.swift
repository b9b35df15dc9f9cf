import Foundation
import RiskGate
import RiskGateEngine
import RiskGatePolicy
import RiskGatePostgres
import RiskGateServer

/// Builds the engine behind `riskgate serve`: the compiled policy at `policyPath` over the SQLite
/// store at `statePath` (a SQLite file or a postgres:// URL; in memory when nil), with optional MMDB
/// databases; returns the store too, for the webhook deliverer that drains its outbox.
///
/// - Throws: ``BackendFactoryError`` with the policy's diagnostics or the store's error.
func makeBackend(policyPath: String, statePath: String?, secrets: SecretsKeyring?,
                 geoPaths: [String] = []) throws -> (backend: any DecisionBackend, store: any StateStore) {
    let result = PolicyCompiler.compile(path: policyPath)
    guard let policy = result.policy else {
        throw BackendFactoryError.policy(DiagnosticRenderer.human(result.diagnostics))
    }
    let source = (try? String(contentsOfFile: policyPath, encoding: .utf8)) ?? ""
    do {
        var configuration = DecisionEngine.Configuration()
        do {
            configuration.geo = try openGeoDatabase(geoPaths)
        } catch {
            throw BackendFactoryError.geo("\(error)")
        }
        let store: any StateStore = try statePath.map { try openStateStore($0, secrets: secrets) } ?? MemoryStateStore()
        let engine = try DecisionEngine(policy: policy, source: source, store: store, configuration: configuration)
        let folder = URL(fileURLWithPath: policyPath).deletingLastPathComponent().path
        // A PostgreSQL store waits on the network for every read and commit: decisions then run on
        // threads of their own rather than on the tasks that serve requests.
        return (EngineBackend(engine: engine, baseDirectory: folder, storeWaitsOnNetwork: store is PostgresStateStore), store)
    } catch let error as StoreError {
        throw BackendFactoryError.store("\(error)")
    }
}

/// Why `serve` could not build its backend.
enum BackendFactoryError: Error, CustomStringConvertible {
    case policy(String)
    case store(String)
    case geo(String)

    var description: String {
        switch self {
        case .policy(let diagnostics): "the policy does not compile:\n\(diagnostics)"
        case .store(let message): "cannot open the state store: \(message)"
        case .geo(let message): message
        }
    }
}
