import ArgumentParser
import Foundation
import RiskGate

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
        var withTyping = 0
        for state in states where !(try state.withUnsafeBytes { try UserStateCodec.decode($0) }).typing.isEmpty {
            withTyping += 1
        }
        print("\(states.count) states, \(bytes / states.count) bytes each on average, \(withTyping) with a typing template")

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
}
