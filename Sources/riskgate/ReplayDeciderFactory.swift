import ArgumentParser
import Foundation
import RiskGate
import RiskGateEngine
import RiskGateReplay

/// Builds the decider `riskgate replay` runs a policy with.
///
/// Policy problems print their diagnostics and exit 1. Without `statePath` the replay starts from an
/// empty in-memory store. With it, the candidate reads and writes that SQLite store (created if missing;
/// emptied first with `fresh`), and a baseline starts from the same initial contents in memory and
/// never writes. `threads` as `riskgate replay --threads` (one: the service's strict order).
func makeReplayDecider(policyPath: String, statePath: String?, secrets: SecretsKeyring? = nil, writesBack: Bool,
                       geo: GeoDatabase?, threads: Int) throws -> ReplayEngine {
    let policy = try compilePolicy(at: policyPath)
    guard let statePath else { return try ReplayEngine(policy: policy, geo: geo, threads: threads) }
    do {
        let store = try openStateStore(statePath, secrets: secrets)
        return try ReplayEngine(policy: policy, geo: geo, backing: store, writesBack: writesBack, threads: threads)
    } catch let error as StoreError {
        throw ValidationError("cannot open state store `\(statePath)`: \(error)")
    }
}

/// Opens the MMDB files given with `--geo-db`.
func openGeoDatabase(_ paths: [String]) throws -> GeoDatabase? {
    guard !paths.isEmpty else { return nil }
    do {
        return try GeoDatabase(files: paths.map { URL(fileURLWithPath: $0) })
    } catch {
        throw ValidationError("cannot open geo database: \(error)")
    }
}
