import ArgumentParser
import Foundation
import RiskGate
import RiskGateEngine
import RiskGatePostgres

/// `riskgate audit`: the audit log.
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Check, export and prune the audit log.",
        subcommands: [AuditVerifyCommand.self, AuditHeadCommand.self, AuditExportCommand.self, AuditPruneCommand.self,
                      AuditKeyCommand.self]
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
            let start = verification.prunedThrough.map { ", starting after record \($0) (records 1–\($0) pruned at a verified checkpoint)" } ?? ""
            print("\(shown): audit log valid: \(verification.records) records\(start), head \(verification.headHash)")
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

/// `riskgate audit export DB [--after N]`: every record after N as JSON lines, for a SIEM.
struct AuditExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Print audit records as JSON lines (every field, the sequence number and the chain hash).",
        discussion: """
            Each line carries `id`, `prev_hash`, `hash`, `key_id` and every field the hash covers, `rules` \
            and `signals` as the exact JSON text hashed, so a receiver holding the audit key (`riskgate audit \
            key`) can verify the chain on its side. Records are read a page at a time. When the whole \
            output was written, the last id is marked as exported, which `audit prune` checks.
            """)
    @Argument(help: "State database (SQLite).") var database: String
    @OptionGroup var secrets: SecretsKeyOption
    @Option(help: "Export records after this id (0: from the first kept record).") var after: Int64 = 0
    @Option(help: "jsonl (the only format).") var format: String = "jsonl"

    func run() throws {
        guard format == "jsonl" else { StateCLI.fail("error: --format `\(format.prefix(40))` is not a format (jsonl)") }
        guard after >= 0 else { StateCLI.fail("error: --after must be 0 or more") }
        let store = try StateCLI.open(database, create: false, secrets: secrets)
        if let checkpoint = try StateCLI.run({ try store.auditCheckpoint() }), after < checkpoint.throughID {
            printError("note: records 1–\(checkpoint.throughID) were pruned; exporting from record \(checkpoint.throughID + 1)")
        }
        // Written in 64 KiB chunks; a failed write (a closed pipe, a full disk) stops the export
        // before the mark, so `audit prune` still refuses the records that did not get out.
        var buffer = Data()
        func drain() throws {
            try FileHandle.standardOutput.write(contentsOf: buffer)
            buffer.removeAll(keepingCapacity: true)
        }
        let written: (count: Int, lastID: Int64)
        do {
            written = try AuditExport.stream(from: store, after: after) { line in
                buffer.append(contentsOf: line.utf8)
                buffer.append(UInt8(ascii: "\n"))
                if buffer.count >= 1 << 16 { try drain() }
            }
            try drain()
        } catch let error as StoreError {
            StateCLI.fail(error.description)
        } catch {
            StateCLI.fail("error: cannot write the export (\(error.localizedDescription))", status: 1)
        }
        if written.count > 0 { try StateCLI.run { try AuditExport.markExported(through: written.lastID, in: store) } }
    }
}

/// `riskgate audit prune DB --before N`: delete exported records before N, leaving a checkpoint.
struct AuditPruneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune", abstract: "Delete audit records before N, leaving a keyed checkpoint that `audit verify` starts from.",
        discussion: """
            Records 1 to N-1 are deleted and a checkpoint (record N-1's number and hash, tagged under the \
            secrets key) takes their place, in one transaction, so `audit verify` still proves that record N \
            onwards follow the pruned ones unaltered. Records not yet exported (`audit export` or the \
            service's --audit-stream) are refused unless --unexported is given.
            """)
    @Argument(help: "State database (SQLite).") var database: String
    @OptionGroup var secrets: SecretsKeyOption
    @Option(help: "Keep record N and later; delete those before it.") var before: Int64
    @Flag(help: "Prune even records that were never exported.") var unexported = false

    func run() throws {
        guard before >= 2 else { StateCLI.fail("error: --before must be 2 or more (record 1 is the first)") }
        let store = try StateCLI.open(database, create: false, secrets: secrets)
        let through = before - 1
        guard let head = try StateCLI.run({ try store.auditHead() }), head.id >= through else {
            StateCLI.fail("error: the audit log has no record \(through)")
        }
        let exported = try StateCLI.run { try AuditExport.exportedThrough(store) }
        if !unexported && exported < through {
            StateCLI.fail("error: records \(exported + 1)–\(through) were not exported yet; run `riskgate audit export` first, or pass --unexported")
        }
        if let checkpoint = try StateCLI.run({ try store.auditCheckpoint() }), checkpoint.throughID >= through {
            StateCLI.fail("error: records up to \(checkpoint.throughID) are pruned already")
        }
        let checkpoint = try StateCLI.run { try store.pruneAudit(through: through, at: Date()) }
        StateCLI.printJSON(checkpoint, pretty: false)
    }
}

/// `riskgate audit key --output FILE`: the audit-purpose keys, for a SIEM that verifies exports.
struct AuditKeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key", abstract: "Write the audit verification keys (mode 0600) for a SIEM that checks exported records.",
        discussion: """
            The keys are derived from the secrets key file for audit records only: they verify (and could \
            forge) audit records, but open no OTP code, KBA answer or partial secret.
            """)
    @OptionGroup var secrets: SecretsKeyOption
    @Option(help: ArgumentHelp("File to create (refused when it exists).", valueName: "file")) var output: String

    func run() throws {
        guard let file = secrets.resolvedPath else {
            StateCLI.fail("error: name the secrets key file with --secrets-key or RISKGATE_SECRETS_KEY")
        }
        do {
            try SecretsKeyFile.writeAuditKeys(of: try SecretsKeyFile.load(path: file), to: output)
        } catch {
            StateCLI.fail("error: \(error)")
        }
    }
}
