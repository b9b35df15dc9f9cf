import ArgumentParser

/// `riskgate-bench`: benchmarks whose figures go to docs/performance.md.
@main
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "riskgate-bench",
        abstract: "RiskGate benchmarks (run with -c release).",
        subcommands: [
            IPListBench.self,
            TypingBench.self,
            SignalsBench.self,
            ReplayParseBench.self,
            ReplayRunBench.self,
            ScoringBench.self,
            CompileBench.self,
            HashBench.self,
            DecideBench.self,
            StateCodecBench.self,
        ]
    )
}
