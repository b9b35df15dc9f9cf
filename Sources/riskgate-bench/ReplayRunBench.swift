import ArgumentParser
import Foundation
import RiskGatePolicy
import RiskGateReplay

/// The whole in-memory replay (reader thread + `--threads` deciding threads), as `riskgate replay --format json`
/// runs it, in the bench binary, which builds without the HTTP server's dependencies.
struct ReplayRunBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay-run",
        abstract: "Replay a JSONL file through a policy in memory; print the JSON report and the CPU cost per event.")

    @Option(help: "The policy (YAML).")
    var policy = "policies/web-login.yaml"

    @Option(help: "The JSONL dataset, e.g. from `riskgate generate`.")
    var dataset: String

    @Option(help: "Threads deciding the policy's events (users are split between them), as `riskgate replay --threads`.")
    var threads = 1

    @Option(help: ArgumentHelp("Events per epoch (experiments; by default as `riskgate replay` with these threads).", visibility: .hidden))
    var epochSize: Int?

    @Option(help: ArgumentHelp("Events per batch handed from the reader to the deciders.", visibility: .hidden))
    var batchSize = ReplayHarness.Options().batchSize

    @Option(help: ArgumentHelp("Users held as values before states are held encoded (0: every state encoded, as late in a 10M run).", visibility: .hidden))
    var decodedUserLimit = 100_000

    func run() throws {
        let candidate = try compiledPolicy(at: policy)
        guard (1...ReplayEngine.maxThreads).contains(threads) else {
            throw ValidationError("--threads must be between 1 and \(ReplayEngine.maxThreads)")
        }
        let engine = try ReplayEngine(policy: candidate, decodedUserLimit: decodedUserLimit, threads: threads,
                                      epochSize: epochSize)
        let reader = try EventReader(path: dataset)
        let startCPU = processCPUSeconds()
        var options = ReplayHarness.Options()
        options.batchSize = batchSize
        let report = try ReplayHarness.run(reader: reader, candidate: engine, options: options)
        let cpu = processCPUSeconds() - startCPU
        print(String(decoding: try JSONWriter.encode(report), as: UTF8.self))
        FileHandle.standardError.write(Data(String(
            format: "%d events in %.2f s wall = %.0f events/s; CPU %.2f s = %.2f µs/event (all threads); %d threads, %d users, %d state bytes each, %d global values; peak %d MiB\n",
            report.events, report.elapsedSeconds, report.eventsPerSecond, cpu, cpu * 1e6 / Double(max(1, report.events)),
            threads, engine.userCount, engine.storedStateBytes / max(1, engine.userCount), engine.globalDistinctValues, report.peakMemoryBytes / 1_048_576).utf8))
    }
}
