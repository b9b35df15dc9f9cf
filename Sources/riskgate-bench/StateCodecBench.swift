import ArgumentParser
import Foundation
import RiskGateEngine
import RiskGateReplay

/// The user-state codec on real states: a dataset is replayed with every state held encoded, then
/// a sample of the states is decoded and encoded again, as replay does for each event of an encoded user.
struct StateCodecBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "state-codec",
        abstract: "Decode and encode cost (ns per state, per byte) of the states a replay leaves.")

    @Option(help: "The policy (YAML).")
    var policy = "policies/web-login.yaml"

    @Option(help: "The JSONL dataset whose replay leaves the states, e.g. from `riskgate generate`.")
    var dataset: String

    @Option(help: "States measured (the first this many the engine holds).")
    var sample = 100_000

    @Option(help: "Measured passes over the sample; the best and the median are printed.")
    var rounds = 5

    func run() throws {
        let candidate = try compiledPolicy(at: policy)
        let engine = try ReplayEngine(policy: candidate, decodedUserLimit: 0, threads: 2)
        _ = try ReplayHarness.run(reader: try EventReader(path: dataset), candidate: engine)
        let states = Array(engine.encodedStates.prefix(max(1, sample)))
        let bytes = states.reduce(0) { $0 + $1.count }
        try printComposition(of: states, bytes: bytes)

        // Decoding alone, and decoding followed by encoding the value again into an exactly sized
        // array, as replay does around each event of an encoded user (the encoder then reads a
        // value that is still in the caches).
        var decodeTimes: [Double] = []
        var roundTripTimes: [Double] = []
        let scratch = EncodingScratch()
        for _ in 0..<max(1, rounds) {
            var sink = 0
            var start = DispatchTime.now().uptimeNanoseconds
            for state in states {
                let value = try state.withUnsafeBytes { try UserStateCodec.decode($0) }
                sink &+= value.logins.count
            }
            decodeTimes.append(Double(DispatchTime.now().uptimeNanoseconds - start) / Double(states.count))
            start = DispatchTime.now().uptimeNanoseconds
            for state in states {
                let value = try state.withUnsafeBytes { try UserStateCodec.decode($0) }
                sink &+= UserStateCodec.withEncoded(value, scratch: scratch) { ContiguousArray($0) }.count
            }
            roundTripTimes.append(Double(DispatchTime.now().uptimeNanoseconds - start) / Double(states.count))
            blackHole(sink)
        }
        decodeTimes.sort()
        roundTripTimes.sort()
        let perByte = Double(states.count) / Double(bytes)
        print(String(format: "decode: best %.0f ns/state (%.2f ns/byte), median %.0f ns/state", decodeTimes[0],
                     decodeTimes[0] * perByte, median(decodeTimes)))
        print(String(format: "decode + encode: best %.0f ns/state (%.2f ns/byte), median %.0f ns/state",
                     roundTripTimes[0], roundTripTimes[0] * perByte, median(roundTripTimes)))
    }

    /// Where the bytes go: each part's share is the bytes a state loses without it (string
    /// back-references make the parts not quite independent).
    private func printComposition(of states: [ContiguousArray<UInt8>], bytes: Int) throws {
        var typing = 0, logins = 0, model = 0, devices = 0
        var templates = 0, samples = 0, loginCount = 0, entries = 0
        for encoded in states {
            let state = try encoded.withUnsafeBytes { try UserStateCodec.decode($0) }
            let full = encoded.count
            func without(_ change: (inout UserState) -> Void) -> Int {
                var copy = state
                change(&copy)
                return full - UserStateCodec.encode(copy).count
            }
            typing += without { $0.typing = [] }
            logins += without { $0.logins = [] }
            model += without { $0.model = UserModelCounts() }
            devices += without { $0.devices = [] }
            templates += state.typing.count
            samples += state.typing.reduce(0) { $0 + min($1.count, TypingTemplate.capacity) }
            loginCount += state.logins.count
            entries += state.model.entries.count
        }
        let n = Double(states.count)
        print(String(format: "%d states, %.0f bytes each on average: typing %.0f, logins %.0f, model %.0f, devices %.0f",
                     states.count, Double(bytes) / n, Double(typing) / n, Double(logins) / n, Double(model) / n,
                     Double(devices) / n))
        print(String(format: "a state holds %.2f typing templates (%.1f samples each), %.1f logins, %.1f model entries",
                     Double(templates) / n, Double(samples) / Double(max(1, templates)), Double(loginCount) / n,
                     Double(entries) / n))
    }
}
