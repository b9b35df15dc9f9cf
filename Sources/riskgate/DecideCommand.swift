import ArgumentParser
import Foundation
import RiskGate
import RiskGateEngine
import RiskGatePolicy

/// `riskgate decide`: one decision as JSON (README.md).
struct DecideCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decide",
        abstract: "Decide one request (a JSON context) and print the decision as JSON.",
        discussion: """
        Without --state the decision starts from an empty in-memory store. With --state it reads and \
        updates that SQLite store (history, devices, typing templates, counters, challenges, audit). \
        Exit status: 0 ok, 1 policy problems, 2 usage or I/O errors (including a malformed context).
        """
    )

    @Option(name: .long, help: "The policy (YAML).")
    var policy: String

    @Option(name: .long, help: "A file holding the request context as JSON ('-' or absent for standard input).")
    var context: String = "-"

    @Option(name: .long, help: "State store to read and update: a SQLite file (created if missing) or a postgres:// URL.")
    var state: String?

    @OptionGroup var secrets: SecretsKeyOption

    @Flag(name: .long, help: "List every signal used and the deciding rule's sub-conditions.")
    var explain = false

    @Option(name: .long, help: "An MMDB database (City/Country, ASN, Anonymous-IP); repeat for several.")
    var geoDb: [String] = []

    static let maxContextBytes = 1 << 20

    func run() throws {
        let compiledPolicy = try compilePolicy(at: policy)
        var request: RequestContext
        do {
            let data = try readInput(context, limit: DecideCommand.maxContextBytes)
            request = try Self.parse(data)
            try request.validate()
        } catch let error as RequestProblem {
            printError("error: invalid context: \(error.message)")
            throw ExitCode(2)
        } catch let error as JSONBodyError {
            printError("error: invalid context: \(error.message)")
            throw ExitCode(2)
        } catch {
            printError("error: \(error)")
            throw ExitCode(2)
        }
        do {
            var configuration = DecisionEngine.Configuration()
            configuration.geo = try openGeoDatabase(geoDb)
            let keyring = try secrets.keyring()
            let store: any StateStore = try state.map { try openStateStore($0, secrets: keyring) } ?? MemoryStateStore()
            let source = (try? String(contentsOfFile: policy, encoding: .utf8)) ?? ""
            let engine = try DecisionEngine(policy: compiledPolicy, source: source, store: store, configuration: configuration)
            let decision = try engine.decide(request, explain: explain)
            if state != nil { try engine.flush() }
            print(try encodeJSON(decision))
        } catch let error as StoreError {
            printError("error: state store: \(error)")
            throw ExitCode(2)
        } catch let error as ValidationError {
            printError("error: \(error.message)")
            throw ExitCode(2)
        }
    }

    /// The request in `data`, read as replay and the service read it: unknown keys skipped, a
    /// field given twice refused (decoders disagree on which value wins).
    static func parse(_ data: Data) throws(JSONBodyError) -> RequestContext {
        let parsed = data.withUnsafeBytes { raw in
            Result { () throws(JSONBodyError) in try EventLineParser.parseRequest(raw).context }
        }
        return try parsed.get()
    }
}
