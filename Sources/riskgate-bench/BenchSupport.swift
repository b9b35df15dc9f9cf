import ArgumentParser
import Foundation
import RiskGatePolicy

/// Measures `body` over `iterations` calls, `rounds` times, and returns per-call nanoseconds of each round, sorted.
func measure(rounds: Int = 15, iterations: Int, _ body: () -> Void) -> [Double] {
    var results: [Double] = []
    for _ in 0..<rounds {
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<iterations { body() }
        let elapsed = DispatchTime.now().uptimeNanoseconds - start
        results.append(Double(elapsed) / Double(iterations))
    }
    return results.sorted()
}

/// Median of sorted values.
func median(_ sorted: [Double]) -> Double { sorted.isEmpty ? 0 : sorted[sorted.count / 2] }

/// Keeps a value alive so the optimiser cannot drop the work that made it.
@inline(never)
func blackHole<T>(_ value: T) { _ = value }

/// Path to the shared datasets folder (`../shared/datasets` from the project root), if present.
func sharedDatasets() -> URL? {
    let url = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        .deletingLastPathComponent().appendingPathComponent("shared/datasets")
    return FileManager.default.fileExists(atPath: url.path) ? url : nil
}

/// User + system CPU time of the whole process (all threads).
func processCPUSeconds() -> Double {
    var usage = rusage()
    #if os(Linux)
    getrusage(RUSAGE_SELF.rawValue, &usage)
    #else
    getrusage(RUSAGE_SELF, &usage)
    #endif
    func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
    return seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

/// The policy compiled from the YAML file at `path`, or a validation error naming the file.
func compiledPolicy(at path: String) throws -> CompiledPolicy {
    guard let policy = PolicyCompiler.compile(path: path).policy else {
        throw ValidationError("policy `\(path)` does not compile")
    }
    return policy
}
