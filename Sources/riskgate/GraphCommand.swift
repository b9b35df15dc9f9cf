import ArgumentParser
import Foundation
import RiskGatePolicy

/// `riskgate graph P`: print the compiled decision graph.
struct GraphCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "graph", abstract: "Print a policy's decision graph (dot, mermaid or json).")

    @Argument(help: "Policy file.")
    var policy: String

    @Option(help: "dot, mermaid or json.")
    var format: String = "dot"

    func run() throws {
        guard let graphFormat = GraphFormat(rawValue: format) else {
            throw ValidationError("unknown format `\(format)`; use dot, mermaid or json")
        }
        let compiled = try compilePolicy(at: policy)
        print(compiled.render(graphFormat), terminator: "")
    }
}
