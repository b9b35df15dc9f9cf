import ArgumentParser
import Foundation

/// `riskgate`: the command line over the RiskGate library (README.md).
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
            DeliverCommand.self,
            KeygenCommand.self,
        ]
    )

    /// The default entry point, except that a usage error (unknown option, missing argument, bad
    /// value) exits 2 as README.md says, not argument-parser's 64.
    static func main() async {
        do {
            var command = try parseAsRoot()
            // A command group without its subcommand (`riskgate`, `riskgate audit`) is a usage
            // error: its help goes to standard error and the exit status is 2, not argument-parser's 0.
            let group = type(of: command)
            if !group.configuration.subcommands.isEmpty {
                FileHandle.standardError.write(Data(helpMessage(for: group).utf8))
                Foundation.exit(2)
            }
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            if exitCode(for: error) == .validationFailure {
                let message = fullMessage(for: error)
                FileHandle.standardError.write(Data((message.hasSuffix("\n") ? message : message + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}

/// Prints the version.
struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print the version.")
    func run() { print("riskgate 0.1.0") }
}
