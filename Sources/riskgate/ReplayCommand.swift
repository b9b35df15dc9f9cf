import ArgumentParser
import Foundation
import RiskGate
import RiskGatePolicy
import RiskGateReplay

/// `riskgate replay`: back-tests a policy on a labelled JSONL login stream (docs/replay.md).
struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay a JSONL dataset through a policy and report outcomes, friction and attack stop rate.",
        discussion: """
        Bad lines (not JSON, wrong types, no user or time, out of time order) are skipped and \
        reported with their line numbers. Exit status: 0 ok, 1 policy problems, 2 usage or I/O errors. \
        Metric definitions: docs/replay.md.
        """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, json
    }

    @Option(name: .long, help: "The candidate policy (YAML).")
    var policy: String

    @Option(name: .long, help: "The dataset: JSONL, one request a line, in time order ('-' for standard input).")
    var dataset: String

    @Option(name: .long, help: "A baseline policy to compare with (transition matrix and examples).")
    var baseline: String?

    @Option(name: .long, help: "Write a self-contained HTML report to this file.")
    var report: String?

    @Option(name: .long, help: "Output on stdout: table or json.")
    var format: Format = .table

    @Option(name: .long, help: "State store (a SQLite file or a postgres:// URL) the candidate starts from and writes its evolved state to (created if missing); a baseline starts from the same contents in memory.")
    var state: String?

    @Flag(name: .long, help: "Empty the --state store before replaying, so the run starts from nothing.")
    var freshState = false

    @OptionGroup var secrets: SecretsKeyOption

    @Option(name: .long, help: "An MMDB database (City/Country, ASN, Anonymous-IP); repeat for several.")
    var geoDb: [String] = []

    @Flag(name: .long, help: "Show a progress line on stderr even when it is not a terminal.")
    var progress = false

    @Option(name: .long, help: "Longest accepted line in bytes.")
    var maxLineBytes: Int = 1 << 20

    @Option(name: .long, help: "Threads deciding each policy's events. 1: exactly the service's order. 2 or more: users are split between the threads and the model's global statistics advance every 1,024 events (a few decisions differ; the same for any N >= 2; see docs/replay.md).")
    var threads: Int = 1

    func validate() throws {
        guard (1...ReplayEngine.maxThreads).contains(threads) else {
            throw ValidationError("--threads must be between 1 and \(ReplayEngine.maxThreads), not \(threads)")
        }
    }

    func run() throws {
        let candidate: ReplayEngine
        let base: ReplayEngine?
        do {
            if freshState, let state {
                for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: state + suffix) }
            }
            if let state {
                let folder = URL(fileURLWithPath: state).deletingLastPathComponent()
                try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            }
            let geo = try openGeoDatabase(geoDb)
            let keyring = try secrets.keyring()
            candidate = try makeReplayDecider(policyPath: policy, statePath: state, secrets: keyring, writesBack: true,
                                              geo: geo, threads: threads)
            base = try baseline.map {
                try makeReplayDecider(policyPath: $0, statePath: state, secrets: keyring, writesBack: false, geo: geo, threads: threads)
            }
        } catch let error as ValidationError {
            printError("error: \(error.message)")
            throw ExitCode(2)
        }

        var options = EventReader.Options()
        options.maxLineBytes = maxLineBytes
        let reader: EventReader
        do {
            reader = try EventReader(path: dataset, options: options)
        } catch {
            printError("error: \(error)")
            throw ExitCode(2)
        }

        let line = ProgressLine(enabled: progress || isatty(STDERR_FILENO) == 1)
        let result: ReplayReport
        do {
            result = try ReplayHarness.run(reader: reader, candidate: candidate, baseline: base,
                                           progress: line.enabled ? { line.update($0) } : nil)
            line.finish()
            try candidate.finish()
        } catch let error as ReplayError {
            line.finish()
            printError("error: \(error)")
            throw ExitCode(2)
        } catch let error as StoreError {
            line.finish()
            printError("error: state store: \(error)")
            throw ExitCode(2)
        }

        if let path = report {
            do {
                let title = "RiskGate replay: \(URL(fileURLWithPath: policy).lastPathComponent) on \(URL(fileURLWithPath: dataset).lastPathComponent)"
                try ReplayHTMLRenderer.render(result, title: title).write(toFile: path, atomically: true, encoding: .utf8)
            } catch {
                printError("error: cannot write report `\(path)`: \(error.localizedDescription)")
                throw ExitCode(2)
            }
        }

        switch format {
        case .table:
            print(ReplayTableRenderer.render(result), terminator: "")
        case .json:
            print(String(decoding: try JSONWriter.encode(result), as: UTF8.self))
        }
        // Bad lines are data problems (README.md: exit 1), reported after the whole report is out.
        if result.badLines > 0 {
            printError("\(result.badLines) bad line\(result.badLines == 1 ? "" : "s") skipped (listed in the report)")
            throw ExitCode(1)
        }
    }
}


/// The `\r`-updated progress line on stderr.
private final class ProgressLine: @unchecked Sendable {
    let enabled: Bool
    private var shown = false

    init(enabled: Bool) { self.enabled = enabled }

    func update(_ p: ReplayProgress) {
        var text = "\r\(formatCount(p.events)) events, \(formatCount(p.badLines)) bad lines, \(formatCount(Int(p.eventsPerSecond))) events/s"
        if let total = p.totalBytes, total > 0 {
            text += String(format: ", %.1f%% read", Double(p.bytesRead) * 100 / Double(total))
        }
        text += String(format: ", %.0f s   ", p.elapsedSeconds)
        FileHandle.standardError.write(Data(text.utf8))
        shown = true
    }

    func finish() {
        guard shown else { return }
        FileHandle.standardError.write(Data("\n".utf8))
        shown = false
    }

    private func formatCount(_ value: Int) -> String {
        let digits = String(value)
        var out = ""
        for (offset, character) in digits.enumerated() {
            if offset > 0 && (digits.count - offset) % 3 == 0 { out.append(",") }
            out.append(character)
        }
        return out
    }
}
