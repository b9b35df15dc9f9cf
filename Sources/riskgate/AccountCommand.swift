import ArgumentParser
import Foundation
import RiskGate
import RiskGateEngine
import RiskGatePolicy

/// `riskgate account`: administer account profiles and lockouts in a state database.
struct AccountCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "account",
        abstract: "Set account profiles and clear lockouts.",
        subcommands: [AccountSetCommand.self, AccountClearCommand.self, AccountShowCommand.self]
    )
}

/// `riskgate account set --state DB --user U [...]`.
struct AccountSetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set", abstract: "Create or update an account profile; secrets are hashed on arrival.")
    @Option(help: "State database (SQLite; created if missing).") var state: String
    @OptionGroup var secrets: SecretsKeyOption
    @Option(help: "User id.") var user: String
    @Option(help: "ISO 3166 alpha-2 home country.") var homeCountry: String?
    @Option(help: "E.164 phone number.") var phone: String?
    @Option(help: "Email address.") var email: String?
    @Option(help: ArgumentHelp("File of knowledge questions and answers, one \"question=answer\" a line (replaces all; - reads standard input).",
                               valueName: "file"))
    var kbaFile: String?
    @Option(help: ArgumentHelp("File holding the PIN or passphrase for partial-secret steps on its first line (- reads standard input).",
                               valueName: "file"))
    var secretFile: String?
    @Option(help: "Trusted device id (repeatable; replaces all).") var trustedDevice: [String] = []
    @Option(help: ArgumentHelp("File holding the Ed25519 public key of the app device that answers push approvals: a PEM PUBLIC KEY block or the 32 raw bytes in base64 (- reads standard input).",
                               valueName: "file"))
    var pushKeyFile: String?
    @Option(help: "Id of the push device (with --push-key-file; default: derived from the key).") var pushDeviceId: String?
    @Flag(help: "Remove the registered push device.") var removePushDevice = false

    /// Largest secrets file read.
    static let maxSecretsFileBytes = 64 * 1024

    func validate() throws {
        if [kbaFile, secretFile, pushKeyFile].filter({ $0 == "-" }).count > 1 {
            throw ValidationError("only one of --kba-file, --secret-file and --push-key-file can read standard input")
        }
        if removePushDevice && (pushKeyFile != nil || pushDeviceId != nil) {
            throw ValidationError("--remove-push-device cannot be combined with --push-key-file or --push-device-id")
        }
        if pushDeviceId != nil && pushKeyFile == nil {
            throw ValidationError("--push-device-id needs --push-key-file")
        }
    }

    func run() throws {
        // Secrets come from files or standard input, never from the command line, where any user of
        // the machine can read them (`ps`, /proc/PID/cmdline, shell history).
        var update = AccountUpdate(homeCountry: homeCountry, phone: phone, email: email)
        if let secretFile {
            let text = try Self.read(secretFile, flag: "--secret-file")
            update.secret = String(text.split(separator: "\n", omittingEmptySubsequences: false).first ?? "")
                .trimmingCharacters(in: CharacterSet(charactersIn: "\r"))
        }
        if let kbaFile {
            var items: [AccountUpdate.KBAInput] = []
            let text = try Self.read(kbaFile, flag: "--kba-file")
            for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let line = raw.trimmingCharacters(in: CharacterSet(charactersIn: "\r"))
                if line.trimmingCharacters(in: .whitespaces).isEmpty || line.hasPrefix("#") { continue }
                guard let eq = line.firstIndex(of: "=") else {
                    StateCLI.fail("error: --kba-file line \(i + 1) must look like \"question=answer\"")
                }
                items.append(.init(question: String(line[..<eq]), answer: String(line[line.index(after: eq)...])))
            }
            update.kba = items
        }
        if !trustedDevice.isEmpty { update.trustedDevices = trustedDevice }
        if let pushKeyFile {
            update.pushKey = try Self.read(pushKeyFile, flag: "--push-key-file")
            update.pushDeviceID = pushDeviceId
        }
        if removePushDevice { update.pushKey = "" }
        let store = try StateCLI.open(state, create: true, secrets: secrets)
        let admin = AccountAdmin(store: store, clock: SystemClock(), random: SystemRandomSource())
        let canonical = try StateCLI.run { try AccountAdmin.canonicalUser(user) }
        let result = try StateCLI.run { try admin.update(user: canonical, update) }
        StateCLI.printJSON(AccountSummary(user: canonical, state: result, now: Date()))
    }

    /// The text of `path`, or of standard input for `-`; exits 2 when it cannot be read.
    static func read(_ path: String, flag: String) throws -> String {
        let data: Data?
        if path == "-" {
            data = try? FileHandle.standardInput.read(upToCount: maxSecretsFileBytes + 1) ?? Data()
        } else {
            data = FileManager.default.contents(atPath: path)
        }
        guard let data, data.count <= maxSecretsFileBytes, let text = String(data: data, encoding: .utf8) else {
            StateCLI.fail("error: \(flag) `\(path)` cannot be read as UTF-8 text of at most \(maxSecretsFileBytes) bytes")
        }
        return text
    }
}

/// `riskgate account clear --state DB --user U [--unban]`.
struct AccountClearCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "clear", abstract: "End a lockout; with --unban also lift a ban.")
    @Option(help: "State database: a SQLite file or a postgres:// URL.") var state: String
    @OptionGroup var secrets: SecretsKeyOption
    @Option(help: "User id.") var user: String
    @Flag(help: "Also lift a ban.") var unban = false

    func run() throws {
        let store = try StateCLI.open(state, create: false, secrets: secrets)
        let admin = AccountAdmin(store: store, clock: SystemClock(), random: SystemRandomSource())
        let canonical = try StateCLI.run { try AccountAdmin.canonicalUser(user) }
        let result = try StateCLI.run { try admin.clear(user: canonical, unban: unban) }
        StateCLI.printJSON(AccountSummary(user: canonical, state: result, now: Date()))
    }
}

/// `riskgate account show --state DB --user U`: the profile without secrets.
struct AccountShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Print an account's profile and lockout state (no secrets).")
    @Option(help: "State database: a SQLite file or a postgres:// URL.") var state: String
    @OptionGroup var secrets: SecretsKeyOption
    @Option(help: "User id.") var user: String

    func run() throws {
        let store = try StateCLI.open(state, create: false, secrets: secrets)
        let canonical = try StateCLI.run { try AccountAdmin.canonicalUser(user) }
        guard let result = try StateCLI.run({ try store.loadUser(canonical) }) else {
            StateCLI.fail("error: user: no account `\(user)`", status: 1)
        }
        StateCLI.printJSON(AccountSummary(user: canonical, state: result, now: Date()))
    }
}

/// What the account commands print: never hashes, salts or answers.
struct AccountSummary: Encodable {
    var user: String
    var known: Bool
    var homeCountry: String?
    var phone: String?
    var email: String?
    var kbaQuestions: [String]
    var secretSet: Bool
    var trustedDevices: [String]
    /// The registered push device's id (its public key is not printed).
    var pushDevice: String?
    var failures: Int
    var familiarFailures: Int
    var locked: Bool
    var lockedUntil: String?
    var familiarLocked: Bool
    var lockouts: Int
    var banned: Bool

    init(user: String, state: UserState, now: Date) {
        let status = Lockout.status(state, familiar: false, now: now)
        self.user = user
        known = state.profile.known
        homeCountry = state.profile.homeCountry
        phone = state.profile.phone
        email = state.profile.email
        kbaQuestions = state.profile.kba.map(\.question)
        secretSet = state.profile.partialSecret != nil
        trustedDevices = state.profile.trustedDevices
        pushDevice = state.profile.pushDevice?.id
        failures = state.failures.count
        familiarFailures = state.familiarFailures.count
        locked = status.locked
        familiarLocked = Lockout.status(state, familiar: true, now: now).locked
        lockedUntil = status.until.map(Timestamp.format)
        lockouts = state.lockouts
        banned = state.banned
    }

    enum CodingKeys: String, CodingKey {
        case user, known, phone, email, failures, locked, lockouts, banned
        case homeCountry = "home_country"
        case kbaQuestions = "kba_questions"
        case secretSet = "secret_set"
        case trustedDevices = "trusted_devices"
        case pushDevice = "push_device"
        case lockedUntil = "locked_until"
        case familiarFailures = "familiar_failures"
        case familiarLocked = "familiar_locked"
    }
}
