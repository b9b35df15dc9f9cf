import ArgumentParser
import Foundation
import RiskGate

/// `riskgate audit`: the audit log.
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Check the audit log.",
        subcommands: [AuditVerifyCommand.self]
    )
}

/// `riskgate audit verify DB`: exit 0 when the hash chain is intact, 1 when broken (first bad record named), 2 on I/O errors.
struct AuditVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify", abstract: "Check the audit log's hash chain.")
    @Argument(help: "State database (SQLite).") var database: String
    @Option(help: "text or json.") var format: String = "text"

    func run() throws {
        let verification = try StateCLI.run { try AuditVerifier.verify(databaseAt: database) }
        if format == "json" {
            StateCLI.printJSON(verification)
        } else if verification.valid {
            print("\(database): audit log valid: \(verification.records) records, head \(verification.headHash)")
        } else {
            print("\(database): audit log broken at record \(verification.firstBadID.map(String.init) ?? "?"): \(verification.problem ?? "unknown problem") (\(verification.records) records before it verified)")
        }
        if !verification.valid { throw ExitCode(1) }
    }
}
