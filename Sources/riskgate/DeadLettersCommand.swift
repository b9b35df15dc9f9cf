import ArgumentParser
import Foundation
import RiskGate

/// `riskgate challenge dead-letters`: list the messages delivery gave up on, or send them back.
struct ChallengeDeadLettersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dead-letters",
        abstract: "List the outbox messages delivery gave up on (JSON lines, no codes), or send them back with --retry.",
        discussion: """
            A message moves here after its last failed attempt (`serve --deliver-webhook`, `riskgate deliver`). \
            --retry ID (repeatable) or --retry-all moves messages back to the outbox under their own ids and \
            idempotency keys, with their attempts reset; prints each id moved. An OTP whose code has expired \
            meanwhile is then removed unsent.
            """)
    @Option(help: "State database (SQLite).") var state: String
    @OptionGroup var secrets: SecretsKeyOption
    @Option(help: "Most dead letters to list.") var limit: Int = 100
    @Option(help: "Send this dead letter back to the outbox (repeat for several).") var retry: [Int64] = []
    @Flag(help: "Send every dead letter back to the outbox.") var retryAll = false

    func validate() throws {
        if retryAll && !retry.isEmpty { throw ValidationError("give --retry ID or --retry-all, not both") }
        guard limit > 0 else { throw ValidationError("--limit must be at least 1") }
    }

    func run() throws {
        let store = try StateCLI.open(state, create: false, secrets: secrets)
        if retryAll || !retry.isEmpty {
            let moved = try StateCLI.run { try store.retryDeadLetters(retryAll ? nil : retry) }
            for id in moved { StateCLI.printJSON(["retried": id], pretty: false) }
            let missing = Set(retry).subtracting(moved).sorted()
            if !missing.isEmpty {
                StateCLI.fail("error: not found: no dead letter with id \(missing.map(String.init).joined(separator: ", "))", status: 1)
            }
            return
        }
        for letter in try StateCLI.run({ try store.deadLetters(limit: limit) }) {
            StateCLI.printJSON(DeadLetterLine(letter), pretty: false)
        }
    }
}

/// A dead letter as `dead-letters` prints it: the message without its body (an OTP's code stays in the store).
struct DeadLetterLine: Encodable {
    var id: Int64?
    var created: Date
    var kind: String
    var channel: String
    var user: String
    var destination: String?
    var challenge: String?
    var attempts: Int
    var reason: String
    var deadLettered: Date

    enum CodingKeys: String, CodingKey {
        case id, created, kind, channel, user, destination, challenge, attempts, reason
        case deadLettered = "dead_lettered"
    }

    init(_ letter: DeadLetter) {
        let m = letter.message
        id = m.id; created = m.created; kind = m.kind; channel = m.channel; user = m.user
        destination = m.destination; challenge = m.challenge; attempts = m.attempts
        reason = letter.reason; deadLettered = letter.time
    }
}
