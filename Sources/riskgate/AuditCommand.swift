import ArgumentParser
import Foundation
import RiskGate
import RiskGatePostgres

/// `riskgate audit`: the audit log.
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Check the audit log.",
        subcommands: [AuditVerifyCommand.self, AuditHeadCommand.self]
    )
}

/// `riskgate audit verify DB`: exit 0 when the chain is intact, 1 when broken (first bad record named), 2 on I/O errors.
struct AuditVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify", abstract: "Check the audit log's keyed hash chain (and anchors kept elsewhere).",
        discussion: """
            Records are authenticated under the secrets key, so a chain rebuilt without the key fails. \
            The store's own head row can be deleted together with the tail of the log; to catch that, \
            keep `riskgate audit head` output (or the service's `audit head` log line) elsewhere and pass it \
            back with --anchor.
            """)
    @Argument(help: "State database: a SQLite file or a postgres:// URL.") var database: String
    @OptionGroup var secrets: SecretsKeyOption
    @Option(help: ArgumentHelp("A head seen earlier, as N:HASH (`audit head` output); fails when record N is gone or differs. Repeatable.",
                               valueName: "N:HASH"))
    var anchor: [String] = []
    @Option(help: "text or json.") var format: String = "text"

    func run() throws {
        var anchors: [AuditAnchor] = []
        for text in anchor {
            guard let parsed = AuditAnchor(text) else {
                StateCLI.fail("error: --anchor `\(text.prefix(80))` is not N:HASH (a record number and 64 hex digits)")
            }
            anchors.append(parsed)
        }
        let keyring = try secrets.keyring()
        let verification = try StateCLI.run {
            if PostgresLocation.isURL(database) {
                // Every writer's chain, each against its head row (docs/state.md).
                guard let store = try openStateStore(database, secrets: keyring) as? PostgresStateStore else {
                    throw StoreError(code: .open, message: "not a PostgreSQL store")
                }
                return try PostgresAuditVerifier.verify(store: store, anchors: anchors)
            }
            return try AuditVerifier.verify(databaseAt: database, secrets: keyring, anchors: anchors)
        }
        // A URL is shown without its password.
        let shown = PostgresLocation.isURL(database) ? ((try? PostgresLocation(url: database))?.redacted ?? "postgres://") : database
        if format == "json" {
            StateCLI.printJSON(verification)
        } else if verification.valid {
            print("\(shown): audit log valid: \(verification.records) records, head \(verification.headHash)")
        } else {
            print("\(shown): audit log broken at record \(verification.firstBadID.map(String.init) ?? "?"): \(verification.problem ?? "unknown problem") (\(verification.records) records before it verified)")
        }
        if !verification.valid { throw ExitCode(1) }
    }
}

/// `riskgate audit head DB`: the current head, `{"records": N, "hash": "…"}`, to keep as an anchor.
struct AuditHeadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "head", abstract: "Print the audit log's head as {\"records\": N, \"hash\": \"…\"}; keep it elsewhere as an anchor.")
    @Argument(help: "State database: a SQLite file or a postgres:// URL.") var database: String
    @OptionGroup var secrets: SecretsKeyOption

    func run() throws {
        let store = try StateCLI.open(database, create: false, secrets: secrets)
        StateCLI.printJSON(try StateCLI.run { try AuditHead(of: store) }, pretty: false)
    }
}
