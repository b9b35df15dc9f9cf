import ArgumentParser
import RiskGate

/// `riskgate`: the command line over the RiskGate library (SPEC §6).
@main
struct RiskGateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "riskgate",
        abstract: "Risk-based authentication policy engine.",
        subcommands: [
            VersionCommand.self,
            ImportCommand.self,
            GenerateCommand.self,
            ChallengeCommand.self,
            AuditCommand.self,
            AccountCommand.self,
            CheckCommand.self,
            DecideCommand.self,
            GraphCommand.self,
            TestCommand.self,
            ReplayCommand.self,
            ServeCommand.self,
        ]
    )
}

/// Prints the version.
struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print the version.")
    func run() { print("riskgate 0.1.0") }
}
