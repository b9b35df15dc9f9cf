import ArgumentParser
import Foundation
import RiskGatePolicy
import RiskGateReplay

/// `riskgate generate`: a synthetic, labelled login stream as JSONL.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Write a realistic synthetic labelled login stream (JSONL, time order).",
        discussion: """
            Deterministic for a seed. Attack traffic comes from the shared IP lists \
            (--ip-lists, default ../shared/datasets/ip) when present, else from a built-in list; \
            which one was used is printed on stderr.
            """
    )

    @Option(help: "Number of users.") var users: Int
    @Option(help: "Number of events to write.") var events: Int
    @Option(help: "Random seed (same seed, same output).") var seed: UInt64
    @Option(name: .shortAndLong, help: "Where to write JSONL (default: standard output).") var output: String?
    @Option(help: "Start time, ISO 8601 (default 2026-01-05T00:00:00Z).") var start: String?
    @Option(help: "Target share of attack events.") var attackShare = 0.05
    @Option(help: "Folder with x4bnet-vpn-or-datacenter-v4.txt and tor-exit-nodes.txt.")
    var ipLists = "../shared/datasets/ip"
    @Flag(help: "Use the built-in attack networks even when the IP lists exist.") var builtinNetworks = false

    func validate() throws {
        guard users >= 1 else { throw ValidationError("--users must be at least 1") }
        guard events >= 0 else { throw ValidationError("--events must not be negative") }
        guard (0.0...0.5).contains(attackShare) else { throw ValidationError("--attack-share must be between 0 and 0.5") }
        if let start, Timestamp.parse(start) == nil {
            throw ValidationError("--start is not an ISO 8601 time: `\(start)`")
        }
    }

    func run() throws {
        let networks = builtinNetworks ? AttackNetworks.builtIn : (AttackNetworks.load(directory: ipLists) ?? .builtIn)
        var startMs = GeneratorConfiguration.defaultStartMilliseconds
        if let start, let date = Timestamp.parse(start) {
            startMs = Int64((date.timeIntervalSince1970 * 1000).rounded())
        }
        let config = GeneratorConfiguration(
            users: users, events: events, seed: seed, startMilliseconds: startMs,
            attackShare: attackShare, networks: networks)

        var outputFD: Int32 = 1
        if let output, output != "-" {
            outputFD = open(output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            guard outputFD >= 0 else {
                writeStderr("error: cannot open `\(output)` for writing: \(String(cString: strerror(errno)))")
                throw ExitCode(2)
            }
        }
        defer { if outputFD != 1 { close(outputFD) } }
        let writer = EventWriter(sink: .fileDescriptor(outputFD))
        let started = DispatchTime.now().uptimeNanoseconds
        var generator = LoginStreamGenerator(configuration: config)
        let stats: GeneratorStatistics
        do {
            stats = try generator.write(to: writer)
        } catch {
            writeStderr("error: \(error)")
            throw ExitCode(2)
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        let share = stats.events > 0 ? Double(stats.attacks) / Double(stats.events) * 100 : 0
        writeStderr(
            "generated \(stats.events) events for \(users) users (attack networks: \(networks.source)); "
                + "attacks \(stats.attacks) (\(String(format: "%.1f", share))%: stuffing \(stats.stuffing), "
                + "targeted \(stats.targeted), hijack \(stats.hijack), impossible travel \(stats.impossibleTravel)), "
                + "account takeovers \(stats.takeovers); \(writer.bytesWritten) bytes in "
                + "\(String(format: "%.2f", seconds)) s (\(Int(Double(stats.events) / max(seconds, 1e-9))) events/s)")
    }
}

/// Writes one line to standard error.
private func writeStderr(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
