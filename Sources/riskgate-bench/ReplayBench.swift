import ArgumentParser
import Foundation
import RiskGateEngine
import RiskGatePolicy
import RiskGateReplay

/// Throughput of the replay dataset reader (chunked reads + byte-level JSON) on typical events.
struct ReplayParseBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay-parse",
        abstract: "Events/s of the replay JSONL reader on a generated file of ~400-byte events.")

    @Option(help: "Lines in the generated file.")
    var lines = 1_000_000

    @Option(help: "Lines also decoded with JSONDecoder for comparison (0 to skip).")
    var jsonDecoderLines = 100_000

    @Option(help: "Read this JSONL file instead of generating one (it is not deleted).")
    var file: String?

    func run() throws {
        let url: URL
        let bytes: Int
        if let file {
            url = URL(fileURLWithPath: file)
            bytes = Int((try FileManager.default.attributesOfItem(atPath: file)[.size] as? NSNumber)?.intValue ?? 0)
        } else {
            url = FileManager.default.temporaryDirectory.appendingPathComponent("riskgate-replay-bench-\(getpid()).jsonl")
            bytes = try writeSyntheticEvents(to: url, count: lines)
            print("generated \(lines) lines, \(bytes) bytes (\(bytes / max(1, lines)) bytes/line avg)")
        }
        defer { if file == nil { try? FileManager.default.removeItem(at: url) } }

        var best = Double.infinity
        var bestCPU = Double.infinity
        var events = 0
        for _ in 0..<3 {
            let start = DispatchTime.now().uptimeNanoseconds
            let startCPU = threadCPUSeconds()
            let reader = try EventReader(path: url.path)
            events = 0
            var checksum = 0.0
            while let event = try reader.next() {
                events += 1
                checksum += event.seconds + Double(event.context.user.utf8.count)
            }
            blackHole(checksum)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            best = min(best, seconds)
            bestCPU = min(bestCPU, threadCPUSeconds() - startCPU)
            guard reader.badLineCount == 0 else { throw ValidationError("generated file had \(reader.badLineCount) bad lines") }
        }
        print(String(format: "EventReader: %d events in %.3f s (best of 3) = %.0f events/s, %.0f MB/s",
                     events, best, Double(events) / best, Double(bytes) / best / 1e6))
        // On a shared machine wall time includes waiting for a core; CPU time is the single-core cost.
        print(String(format: "EventReader CPU time: %.3f s = %.0f events/s per core, %.0f MB/s per core",
                     bestCPU, Double(events) / bestCPU, Double(bytes) / bestCPU / 1e6))
        print("peak memory after reading: \(PeakMemory.bytes() / 1_048_576) MiB")

        if jsonDecoderLines > 0 {
            let text = try String(contentsOf: url, encoding: .utf8)
            let sample = text.split(separator: "\n").prefix(jsonDecoderLines).map { Data($0.utf8) }
            let decoder = JSONDecoder()
            let start = threadCPUSeconds()
            var decoded = 0
            for line in sample where (try? decoder.decode(RequestContext.self, from: line)) != nil { decoded += 1 }
            let seconds = threadCPUSeconds() - start
            print(String(format: "JSONDecoder (in-memory lines, for comparison): %d events in %.3f s CPU = %.0f events/s per core",
                         decoded, seconds, Double(decoded) / seconds))
        }
    }

    private func threadCPUSeconds() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    /// Writes `count` realistic events (all fields of docs/http-api.md, labels, a few escapes) in time order.
    private func writeSyntheticEvents(to url: URL, count: Int) throws -> Int {
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
            throw ValidationError("cannot create \(url.path)")
        }
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        var random = SeededRandom(seed: 42)
        let channels = ["web", "app", "chat", "voice", "agent"]
        let actions = ["login", "login", "login", "password_reset", "payment", "profile_change"]
        let countries = ["DE", "FR", "US", "GB", "NL", "PL", "BR", "IN"]
        let agents = ["Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36",
                      "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
                      "RiskGateApp/3.2 (Android 14; \\\"Pixel 8\\\")"]
        var time = 1_790_000_000.0
        var out = ""
        var total = 0
        out.reserveCapacity(1 << 20)
        for i in 0..<count {
            time += Double.random(in: 0...2, using: &random).rounded()
            let attack = Int.random(in: 0..<50, using: &random) == 0
            let keys = (0..<Int.random(in: 0...3, using: &random)).map { k in
                "{\"down\":\(k * 180),\"up\":\(k * 180 + Int.random(in: 60...140, using: &random))}"
            }.joined(separator: ",")
            out += "{\"id\":\"evt-\(i)\",\"time\":\"\(Timestamp.format(Date(timeIntervalSince1970: time)))\","
            out += "\"user\":\"u-\(Int.random(in: 0..<100_000, using: &random))\",\"channel\":\"\(channels.randomElement(using: &random)!)\","
            out += "\"action\":\"\(actions.randomElement(using: &random)!)\",\"ip\":\"\(Int.random(in: 1...223, using: &random)).\(Int.random(in: 0...255, using: &random)).\(Int.random(in: 0...255, using: &random)).\(Int.random(in: 1...254, using: &random))\","
            out += "\"geo\":{\"country\":\"\(countries.randomElement(using: &random)!)\",\"lat\":\(String(format: "%.4f", Double.random(in: -60...70, using: &random))),\"lon\":\(String(format: "%.4f", Double.random(in: -180...180, using: &random))),\"accuracy_km\":\(Int.random(in: 1...200, using: &random))},"
            out += "\"device\":{\"id\":\"d-\(String(UInt32.random(in: 0...UInt32.max, using: &random), radix: 16))\",\"user_agent\":\"\(agents.randomElement(using: &random)!)\",\"emulator\":false,\"rooted\":false},"
            out += "\"typing\":{\"field\":\"password\",\"keys\":[\(keys)]},"
            out += "\"result\":\"\(Bool.random(using: &random) ? "success" : "failure")\",\"label\":{\"attack\":\(attack),\"account_takeover\":false}}\n"
            if out.utf8.count > (1 << 20) - 1024 {
                total += out.utf8.count
                handle.write(Data(out.utf8))
                out.removeAll(keepingCapacity: true)
            }
        }
        total += out.utf8.count
        handle.write(Data(out.utf8))
        return total
    }
}
