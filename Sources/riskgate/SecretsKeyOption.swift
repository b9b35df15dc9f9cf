import ArgumentParser
import Foundation
import RiskGateEngine

/// `--secrets-key FILE`, shared by every command that opens a state store.
///
/// The file holds the keys that protect the store's secrets and authenticate its audit log; it is
/// named here, never passed as a value, so no key appears on a command line. Without the flag the
/// `RISKGATE_SECRETS_KEY` environment variable names it, and without either the file beside the
/// database (`STATE.key`) is used, created together with a new database.
struct SecretsKeyOption: ParsableArguments {
    static let environmentVariable = "RISKGATE_SECRETS_KEY"

    @Option(name: .customLong("secrets-key"),
            help: ArgumentHelp("Secrets key file (from `riskgate keygen`; mode 0600). Default: $RISKGATE_SECRETS_KEY, else STATE.key beside the database.",
                               valueName: "file"))
    var path: String?

    /// The key file named by the flag or the environment, or `nil` for the default beside the database.
    var resolvedPath: String? {
        if let path { return path }
        if let env = ProcessInfo.processInfo.environment[Self.environmentVariable], !env.isEmpty { return env }
        return nil
    }

    /// The keyring to open a store with: loaded from the named file, or `nil` to let the store use
    /// the file beside the database. Exits with status 2 and a message for an unusable file.
    func keyring() throws -> SecretsKeyring? {
        guard let file = resolvedPath else { return nil }
        do {
            return try SecretsKeyFile.load(path: file)
        } catch {
            printError("error: \(error)")
            throw ExitCode(2)
        }
    }
}

/// `riskgate keygen FILE`: write a new secrets key file, or add a key to one.
struct KeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Write a secrets key file (mode 0600), or add a new current key with --rotate.",
        discussion: """
            The file holds 256-bit keys with ids, newest last. New OTP codes, KBA answers, partial \
            secrets and audit records use the newest key; older ones stay in the file so records made \
            under them still verify. Keep the file away from the database (another volume, a mounted \
            secret) and name it with --secrets-key or RISKGATE_SECRETS_KEY.
            """)

    @Argument(help: "Key file to create (refused when it exists, unless --rotate).") var file: String
    @Flag(help: "Append a new key to an existing file; it becomes the current key.") var rotate = false

    func run() throws {
        do {
            if rotate {
                try SecretsKeyFile.rotate(path: file)
            } else {
                try SecretsKeyFile.create(path: file)
            }
            let keyring = try SecretsKeyFile.load(path: file)
            print("\(file): \(keyring.keys.count) key\(keyring.keys.count == 1 ? "" : "s"), current `\(keyring.current.id)`")
        } catch {
            printError("error: \(error)")
            throw ExitCode(2)
        }
    }
}
