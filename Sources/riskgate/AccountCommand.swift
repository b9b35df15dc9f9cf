import ArgumentParser
import Foundation
import RiskGate

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
    @Option(help: "User id.") var user: String
    @Option(help: "ISO 3166 alpha-2 home country.") var homeCountry: String?
    @Option(help: "E.164 phone number.") var phone: String?
    @Option(help: "Email address.") var email: String?
    @Option(help: "A knowledge question and answer as \"question=answer\" (repeatable; replaces all).") var kba: [String] = []
    @Option(help: "PIN or passphrase for partial-secret steps.") var secret: String?
    @Option(help: "Trusted device id (repeatable; replaces all).") var trustedDevice: [String] = []

    func run() throws {
        var update = AccountUpdate(homeCountry: homeCountry, phone: phone, email: email, secret: secret)
        if !kba.isEmpty {
            var items: [AccountUpdate.KBAInput] = []
            for (i, pair) in kba.enumerated() {
                guard let eq = pair.firstIndex(of: "=") else {
                    StateCLI.fail("error: --kba \(i + 1) must look like \"question=answer\"")
                }
                items.append(.init(question: String(pair[..<eq]), answer: String(pair[pair.index(after: eq)...])))
            }
            update.kba = items
        }
        if !trustedDevice.isEmpty { update.trustedDevices = trustedDevice }
        let store = try StateCLI.open(state, create: true)
        let admin = AccountAdmin(store: store, clock: SystemClock(), random: SystemRandomSource())
        let result = try StateCLI.run { try admin.update(user: user, update) }
        StateCLI.printJSON(AccountSummary(user: user, state: result, now: Date()))
    }
}

/// `riskgate account clear --state DB --user U [--unban]`.
struct AccountClearCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "clear", abstract: "End a lockout; with --unban also lift a ban.")
    @Option(help: "State database (SQLite).") var state: String
    @Option(help: "User id.") var user: String
    @Flag(help: "Also lift a ban.") var unban = false

    func run() throws {
        let store = try StateCLI.open(state, create: false)
        let admin = AccountAdmin(store: store, clock: SystemClock(), random: SystemRandomSource())
        let result = try StateCLI.run { try admin.clear(user: user, unban: unban) }
        StateCLI.printJSON(AccountSummary(user: user, state: result, now: Date()))
    }
}

/// `riskgate account show --state DB --user U`: the profile without secrets.
struct AccountShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Print an account's profile and lockout state (no secrets).")
    @Option(help: "State database (SQLite).") var state: String
    @Option(help: "User id.") var user: String

    func run() throws {
        let store = try StateCLI.open(state, create: false)
        guard let result = try StateCLI.run({ try store.loadUser(user) }) else {
            StateCLI.fail("error: user: no account `\(user)`", status: 1)
        }
        StateCLI.printJSON(AccountSummary(user: user, state: result, now: Date()))
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
    var secretLength: Int
    var trustedDevices: [String]
    var failures: Int
    var locked: Bool
    var lockedUntil: String?
    var lockouts: Int
    var banned: Bool

    init(user: String, state: UserState, now: Date) {
        let status = Lockout.status(state, now: now)
        self.user = user
        known = state.profile.known
        homeCountry = state.profile.homeCountry
        phone = state.profile.phone
        email = state.profile.email
        kbaQuestions = state.profile.kba.map(\.question)
        secretLength = state.profile.partialSecret.count
        trustedDevices = state.profile.trustedDevices
        failures = state.failures.count
        locked = status.locked
        lockedUntil = status.until.map(Timestamp.format)
        lockouts = state.lockouts
        banned = state.banned
    }

    enum CodingKeys: String, CodingKey {
        case user, known, phone, email, failures, locked, lockouts, banned
        case homeCountry = "home_country"
        case kbaQuestions = "kba_questions"
        case secretLength = "secret_length"
        case trustedDevices = "trusted_devices"
        case lockedUntil = "locked_until"
    }
}
