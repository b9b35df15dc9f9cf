import ArgumentParser
import Foundation
import RiskGate
import RiskGateEngine
import RiskGatePolicy

/// `riskgate challenge`: verify, issue and deliver challenges against a state database.
struct ChallengeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "challenge",
        abstract: "Verify challenge steps and deliver their messages.",
        subcommands: [ChallengeVerifyCommand.self, ChallengeIssueCommand.self, ChallengeOutboxCommand.self,
                      ChallengeDeadLettersCommand.self]
    )
}

/// `riskgate challenge verify --state DB --challenge ID --step otp --response CODE`.
struct ChallengeVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verify one step's response; prints the result as JSON (exit 0 passed, 1 otherwise).",
        discussion: """
            A request the challenge refuses without checking the response (unknown challenge, a step \
            out of order or already passed, a challenge already passed) prints `error: conflict: ...` \
            or `error: not found: ...` on standard error and exits 2; nothing is counted.
            """)
    @Option(help: "State database: a SQLite file or a postgres:// URL.") var state: String
    @OptionGroup var secrets: SecretsKeyOption
    @Option(help: "Challenge id (ch-...).") var challenge: String
    @Option(help: "Step: otp, push, kba, partial_secret, delay.") var step: String
    @Option(help: "The user's response (never logged); for push, approve or deny.") var response: String = ""
    @Option(help: "Push: the app device's Ed25519 signature, base64.") var signature: String?
    @Option(help: "Push: the number picked in the app (number matching).") var number: Int?
    @Flag(help: "Push: with deny, report the login as fraud.") var reportFraud = false

    func validate() throws {
        if step != "push" && (signature != nil || number != nil || reportFraud) {
            throw ValidationError("--signature, --number and --report-fraud go with --step push")
        }
    }

    func run() throws {
        let store = try StateCLI.open(state, create: false, secrets: secrets)
        let service = ChallengeService(store: store, clock: SystemClock(), random: SystemRandomSource())
        var push: PushAnswer?
        if let signature {
            guard let bytes = Data(base64Encoded: signature.trimmingCharacters(in: .whitespacesAndNewlines)) else {
                StateCLI.fail("error: --signature is not base64")
            }
            push = PushAnswer(number: number, signature: [UInt8](bytes), reportFraud: reportFraud)
        }
        let result = try StateCLI.run { try service.verify(challengeID: challenge, step: step, response: response, push: push) }
        StateCLI.printJSON(result)
        if result.result != .passed { throw ExitCode(1) }
    }
}

/// `riskgate challenge issue`: an operator-initiated step-up, outside any policy decision.
struct ChallengeIssueCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "issue",
        abstract: "Issue a challenge to a user directly (operator step-up); prints the challenge summary.")
    @Option(help: "State database: a SQLite file or a postgres:// URL.") var state: String
    @OptionGroup var secrets: SecretsKeyOption
    @Option(help: "User id.") var user: String
    @Option(help: "otp or otp_kba_delay.") var outcome: String = "otp"
    @Option(help: "The channel the user is on (deliveries avoid it).") var channel: String = "web"
    @Option(help: "OTP lifetime in seconds.") var ttl: Double = 300
    @Option(help: "OTP attempts allowed.") var maxAttempts: Int = 3
    @Flag(help: "Ask the account's registered app device to approve (a push with number matching) instead of sending a code.")
    var push = false
    @Option(help: "Issue this many challenges, one commit each, printing each summary as a JSON line once committed.")
    var count: Int = 1

    func run() throws {
        guard let chosen = Outcome(rawValue: outcome), chosen == .otp || chosen == .otpKbaDelay else {
            StateCLI.fail("`--outcome` must be `otp` or `otp_kba_delay`, not `\(outcome)`")
        }
        let store = try StateCLI.open(state, create: true, secrets: secrets)
        let clock = SystemClock()
        let random = SystemRandomSource()
        let service = ChallengeService(store: store, clock: clock, random: random)
        var policy = ChallengePolicy()
        policy.otp.ttl = ttl
        policy.otp.maxAttempts = maxAttempts
        policy.otpKbaDelay.otp.ttl = ttl
        policy.otpKbaDelay.otp.maxAttempts = maxAttempts
        if push {
            policy.otp.push = ChallengePolicy.PushConfig()
            policy.otpKbaDelay.push = ChallengePolicy.PushConfig()
        }
        for _ in 0..<max(1, count) {
            try issueOne(store: store, service: service, clock: clock, random: random, outcome: chosen, policy: policy)
        }
    }

    private func issueOne(store: any StateStore, service: ChallengeService, clock: SystemClock, random: SystemRandomSource,
                          outcome chosen: Outcome, policy: ChallengePolicy) throws {
        var request = RequestContext(user: user)
        request.channel = channel
        request.time = clock.now()
        do {
            try request.validate()
        } catch {
            StateCLI.fail("invalid `--user`: \(error.message)")
        }
        let userState = try StateCLI.run { try store.loadUser(request.user) } ?? UserState()
        let decision = Decision(
            id: "dec-" + random.bytes(8).hexString, outcome: chosen, score: 0, band: "low", rule: "operator",
            path: ["operator"], contributions: [], policy: .init(name: "operator", hash: "operator"))
        guard let made = service.makeChallenge(for: decision, request: request, user: userState, policy: policy,
                                               fallbackApplies: { _ in false }) else {
            StateCLI.fail("no challenge for outcome `\(outcome)`")
        }
        var events = [AuditEvent.decision(decision, user: request.user, time: clock.now())]
        events[0].outcome = made.outcome.rawValue
        try StateCLI.run {
            try store.commit(StateChange(challenges: made.challenge.map { [$0] } ?? [], outbox: made.outbox, audit: events))
        }
        if let summary = made.summary {
            StateCLI.printJSON(summary, pretty: count == 1)
        } else {
            StateCLI.printJSON(["outcome": made.outcome.rawValue])
            throw ExitCode(1)
        }
    }
}

/// `riskgate challenge outbox`: what a delivery worker does — print pending messages, then delete them.
struct ChallengeOutboxCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "outbox",
        abstract: "Print pending deliveries as JSON lines; with --deliver, delete them after printing.")
    @Option(help: "State database: a SQLite file or a postgres:// URL.") var state: String
    @OptionGroup var secrets: SecretsKeyOption
    @Option(help: "Most messages to take.") var limit: Int = 100
    @Flag(help: "Delete the printed messages (they carry OTP codes).") var deliver = false

    func run() throws {
        let store = try StateCLI.open(state, create: false, secrets: secrets)
        let messages = try StateCLI.run { try store.outbox(limit: limit) }
        for message in messages {
            // The code waits encrypted under the secrets key; the deliverer gets it in clear.
            let opened = try StateCLI.run { try message.openedForDelivery(keyring: store.secrets) }
            StateCLI.printJSON(opened, pretty: false)
        }
        if deliver { try StateCLI.run { try store.removeOutbox(messages.compactMap(\.id)) } }
    }
}

/// Helpers shared by the state commands.
enum StateCLI {
    /// Opens `--state` (a SQLite file or a postgres:// URL); exits 2 with the store's error.
    static func open(_ path: String, create: Bool, secrets: SecretsKeyOption) throws -> any StateStore {
        let keyring = try secrets.keyring()
        return try run { try openStateStore(path, create: create, secrets: keyring) }
    }

    /// Runs `body`, turning library errors into a message on stderr and exit status 2.
    static func run<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as StoreError {
            fail(error.description)
        } catch let error as ChallengeError {
            // The kind matches the HTTP service's answer: `conflict` (409) for a step already
            // passed or out of order, `not found` (404) for an unknown challenge.
            fail(error.code == .invalid ? "error: \(error.field): \(error.message)" : "error: \(error.code): \(error.message)")
        } catch let error as AccountError {
            fail("error: \(error.field): \(error.message)")
        } catch let error as SecretsKeyFile.Failure {
            fail("error: \(error)")
        }
    }

    static func fail(_ message: String, status: Int32 = 2) -> Never {
        FileHandle.standardError.write(Data((message + "\n").utf8))
        Foundation.exit(status)
    }

    static func printJSON<T: Encodable>(_ value: T, pretty: Bool = true) {
        if let bytes = try? JSONWriter.encode(value, pretty: pretty, formattingDates: Timestamp.format) {
            // Unbuffered: a line on stdout means the write before it was acknowledged (crash tests rely on it).
            FileHandle.standardOutput.write(Data(bytes + [UInt8(ascii: "\n")]))
        }
    }
}
