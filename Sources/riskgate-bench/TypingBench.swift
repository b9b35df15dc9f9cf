import ArgumentParser
import Foundation
import RiskGateEngine
import RiskGatePolicy

/// Keystroke detectors compared by equal-error rate (Killourhy–Maxion protocol) and per-sample assess cost.
struct TypingBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "typing",
        abstract: "Keystroke detector EERs on the touch data set and per-sample assess cost.")

    @Option(help: "The data set's dataset1_features folder (one N.csv per subject).")
    var dataset = "../shared/datasets/keystroke-touch-tie5Roanl/dataset1_features"

    func run() throws {
        let directory = URL(fileURLWithPath: dataset)
        guard FileManager.default.fileExists(atPath: directory.path) else {
            print("skipped: `\(dataset)` not found")
            return
        }
        let subjects: [[[Double]]]
        do {
            subjects = try KeystrokeEvaluation.loadDataset1(directory: directory)
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(2)
        }
        print("Killourhy–Maxion on \(subjects.count) subjects: train first 25, genuine rest, impostors first 5 of each other subject")
        print("timing features only (first 40 columns: 14 hold, 13 down-down, 13 up-down)\n")
        print("detector".padding(toLength: 34, withPad: " ", startingAt: 0) + "  mean EER     std")
        for detector in KeystrokeDetectors.all {
            let result = KeystrokeEvaluation.killourhyMaxion(subjects: subjects, detector: detector)
            print(result.detector.padding(toLength: 34, withPad: " ", startingAt: 0)
                + String(format: "  %8.4f  %6.4f", result.mean, result.standardDeviation))
        }
        measureAssess(subjects)
    }

    /// Per-sample cost of the production path: features from raw key times, template lookup, detector, mapping.
    private func measureAssess(_ subjects: [[[Double]]]) {
        // Rebuild raw key times from the first subject's features, so the measured call starts from a request.
        func keys(_ f: [Double]) -> [RequestContext.Typing.Key] {
            let n = (f.count + 2) / 3
            var down = 0.0
            return (0..<n).map { i in
                if i > 0 { down += f[n + i - 1] }
                return RequestContext.Typing.Key(down: down, up: down + f[i])
            }
        }
        var templates: [TypingTemplate] = []
        for row in subjects[0].prefix(TypingTemplate.capacity) {
            TypingDynamics.learn(RequestContext.Typing(field: "password", keys: keys(row)), into: &templates)
        }
        let probes = subjects.map { RequestContext.Typing(field: "password", keys: keys($0[$0.count - 1])) }
        var index = 0
        var total = 0.0
        let times = measure(iterations: 20_000) {
            total += TypingDynamics.assess(probes[index % probes.count], templates: templates, minEnrollment: 10).anomaly ?? 0
            index += 1
        }
        blackHole(total)
        var learnTarget = templates
        let learnTimes = measure(rounds: 5, iterations: 2_000) {
            TypingDynamics.learn(probes[index % probes.count], into: &learnTarget)
            index += 1
        }
        print(String(format: "\nassess (14 keys, template of %d samples): median %.0f ns/sample", templates.first?.samples.count ?? 0, median(times)))
        print(String(format: "learn (one accepted sample, full ring): median %.0f ns/sample", median(learnTimes)))
    }
}
