import Foundation
import RiskGate
import RiskGateEngine
import RiskGatePostgres

/// Opens the store `--state` names: a `postgres://` or `postgresql://` URL (shared by replicas), or
/// a SQLite file.
///
/// A PostgreSQL store needs its secrets key named (`--secrets-key FILE` or `RISKGATE_SECRETS_KEY`):
/// there is no "beside the database" for a URL, and every replica must use the same file.
///
/// - Throws: ``StoreError``.
func openStateStore(_ state: String, create: Bool = true, secrets: SecretsKeyring?) throws -> any StateStore {
    if PostgresLocation.isURL(state) {
        guard let secrets else {
            throw StoreError(code: .secrets, message: """
                a postgres:// state needs its secrets key named with --secrets-key FILE or \(SecretsKeyOption.environmentVariable) \
                (create one with `riskgate keygen FILE`; every replica uses the same file)
                """)
        }
        return try PostgresStateStore(url: state, secrets: secrets)
    }
    var options = SQLiteStateStore.Options()
    options.createIfMissing = create
    return try SQLiteStateStore(path: state, options: options, secrets: secrets)
}
