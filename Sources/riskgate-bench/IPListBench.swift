import ArgumentParser
import Foundation
import RiskGateEngine
import RiskGatePolicy

/// Loading time of the largest shared IP list and per-lookup membership cost.
struct IPListBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "iplist", abstract: "IP list load time and membership cost.")

    func run() throws {
        guard let datasets = sharedDatasets() else {
            print("skipped: ../shared/datasets not found")
            return
        }
        let file = datasets.appendingPathComponent("ip/x4bnet-vpn-or-datacenter-v4.txt")
        let text = try String(contentsOf: file, encoding: .utf8)
        let lines = text.split(separator: "\n").count
        var loaded = IPListFile.parse(text)
        let loadTimes = measure(rounds: 5, iterations: 1) { loaded = IPListFile.parse(text) }
        var generator = SeededRandom(seed: 7)
        let probes = (0..<4096).map { _ in IPAddress(v4: UInt32.random(in: .min ... .max, using: &generator)) }
        var index = 0
        var hits = 0
        let lookup = measure(iterations: 1_000_000) {
            if loaded.set.contains(probes[index & 4095]) { hits += 1 }
            index += 1
        }
        blackHole(hits)
        print("ip list load (\(lines) lines, \(loaded.set.rangeCount) merged ranges): median \(String(format: "%.1f", median(loadTimes) / 1e6)) ms")
        print("ip list membership (random IPv4): median \(String(format: "%.1f", median(lookup))) ns/lookup")

        // IPv6 ranges and a small list (Tor exits), probing members as well as misses.
        let v6Text = try String(contentsOf: datasets.appendingPathComponent("ip/x4bnet-vpn-or-datacenter-v6.txt"), encoding: .utf8)
        var v6Loaded = IPListFile.parse(v6Text)
        let v6LoadTimes = measure(rounds: 5, iterations: 1) { v6Loaded = IPListFile.parse(v6Text) }
        let v6 = v6Loaded.set
        print("ip list load v6 (\(v6Text.split(separator: "\n").count) lines, \(v6.rangeCount) merged ranges): median \(String(format: "%.1f", median(v6LoadTimes) / 1e6)) ms")
        let v6Probes = (0..<4096).map { _ in
            IPAddress(v6High: 0x2000_0000_0000_0000 | UInt64.random(in: 0...0x0FFF_FFFF_FFFF_FFFF, using: &generator),
                      low: UInt64.random(in: .min ... .max, using: &generator))
        }
        let v6Lookup = measure(iterations: 1_000_000) {
            if v6.contains(v6Probes[index & 4095]) { hits += 1 }
            index += 1
        }
        let torText = try String(contentsOf: datasets.appendingPathComponent("ip/tor-exit-nodes.txt"), encoding: .utf8)
        let tor = IPListFile.parse(torText).set
        let torMembers = torText.split(separator: "\n").compactMap { IPAddress($0) }
        let torProbes = (0..<4096).map { i in i % 2 == 0 && !torMembers.isEmpty ? torMembers[i % torMembers.count] : probes[i] }
        let torLookup = measure(iterations: 1_000_000) {
            if tor.contains(torProbes[index & 4095]) { hits += 1 }
            index += 1
        }
        blackHole(hits)
        print("ip list membership (random IPv6, \(v6.rangeCount) ranges): median \(String(format: "%.1f", median(v6Lookup))) ns/lookup")
        print("ip list membership (Tor exits, \(tor.rangeCount) ranges, half members): median \(String(format: "%.1f", median(torLookup))) ns/lookup")
    }
}
