import ArgumentParser
import Foundation
import RiskGateEngine
import RiskGatePolicy

/// Compile time of a generated 1,000-rule policy and evaluation cost of a compiled 50-rule graph.
struct CompileBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "compile", abstract: "Policy compile time and evaluation cost.")

    @Option(help: "Rules in the compile benchmark.")
    var rules = 1000

    @Option(help: "Also compile policies of these sizes (comma-separated, e.g. 2000,4000,8000,10000) and print the time per rule, to show how compile time grows.")
    var scaling = ""

    /// A policy with `count` rules split between scoring and a decide graph with nested groups.
    static func generate(rules count: Int) -> String {
        let signals = ["device.new", "geo.new_country", "ip.anonymous", "geo.country_mismatch", "typing.enrolled", "device.emulator"]
        var text = """
        riskgate: 1
        policy: generated
        lists:
          office: { cidrs: [203.0.113.0/24, "2001:db8::/32"] }
          countries: { values: [KP, IR, SY, CU] }
        score:
          rules:

        """
        let scoreRules = count / 5
        for i in 0..<scoreRules {
            text += "    - { id: s\(i), when: \(signals[i % signals.count]) and account.failures >= \(i % 7), points: \(i % 9 + 1) }\n"
        }
        text += "decide:\n  - { id: banned, when: account.banned, outcome: deny }\n"
        let outcomes = ["otp", "otp_kba_delay", "agent_escalation"]
        var made = scoreRules + 1
        var group = 0
        while made < count - 1 {
            text += "  - id: g\(group)\n    when: request.action == \"a\(group)\" or ip.country in countries\n    rules:\n"
            made += 1
            for j in 0..<min(8, count - 1 - made) {
                text += "      - { id: g\(group)-\(j), when: score >= \(90 - j * 10) and history.logins < \(j + group + 1), outcome: \(outcomes[j % 3]) }\n"
                made += 1
            }
            group += 1
        }
        text += "  - { id: default, outcome: passive }\n"
        return text
    }

    /// A policy with `count` rules, most of them at the top level of `decide`: four rules a
    /// request action, from the highest score band to the lowest, as a policy written per action
    /// (or generated from a table) would have them. Rules of different actions cannot shadow each other.
    static func generateFlat(rules count: Int) -> String {
        var text = """
        riskgate: 1
        policy: generated-flat
        score:
          rules:
            - { id: new-device, when: device.new, points: 30 }
            - { id: failures, when: account.failures >= 3, points: 20 }
        decide:
          - { id: banned, when: account.banned, outcome: deny }

        """
        let outcomes = ["agent_escalation", "otp_kba_delay", "otp", "otp"]
        for i in 0..<max(0, count - 4) {
            text += "  - { id: r\(i), when: request.action == \"a\(i / 4)\" and score >= \(80 - i % 4 * 20), outcome: \(outcomes[i % 4]) }\n"
        }
        text += "  - { id: default, outcome: passive }\n"
        return text
    }

    func run() throws {
        let big = Self.generate(rules: rules)
        var result = PolicyCompiler.compile(source: big, file: "generated.yaml", baseDirectory: nil)
        guard result.policy != nil else {
            print(DiagnosticRenderer.human(Array(result.diagnostics.prefix(5))))
            throw ExitCode(1)
        }
        let compileTimes = measure(rounds: 9, iterations: 1) {
            result = PolicyCompiler.compile(source: big, file: "generated.yaml", baseDirectory: nil)
        }
        print("compile \(rules)-rule policy (\(big.utf8.count / 1024) KiB, \(result.diagnostics.count) warnings): median \(String(format: "%.1f", median(compileTimes) / 1e6)) ms")
        for size in scaling.split(separator: ",").compactMap({ Int($0.trimmingCharacters(in: .whitespaces)) }) {
            for (shape, text) in [("grouped", Self.generate(rules: size)), ("flat", Self.generateFlat(rules: size))] {
                var warnings = 0
                // Fewer rounds for large policies: the point is the growth, not the last per cent.
                let times = measure(rounds: 3, iterations: 1) {
                    warnings = PolicyCompiler.compile(source: text, file: "generated.yaml", baseDirectory: nil).diagnostics.count
                }
                let ms = median(times) / 1e6
                print("compile \(size)-rule \(shape) policy (\(text.utf8.count / 1024) KiB, \(warnings) diagnostics): median \(String(format: "%.1f", ms)) ms, \(String(format: "%.1f", ms * 1000 / Double(size))) µs a rule")
            }
        }

        let small = Self.generate(rules: 50)
        guard let policy = PolicyCompiler.compile(source: small, file: "small.yaml", baseDirectory: nil).policy else { throw ExitCode(1) }
        var random = SeededRandom(seed: 11)
        var inputs: [SignalValues] = []
        for _ in 0..<256 {
            var s = SignalValues()
            s[.deviceNew] = .bool(Bool.random(using: &random))
            s[.geoNewCountry] = .bool(Bool.random(using: &random))
            s[.typingEnrolled] = .bool(Bool.random(using: &random))
            s[.accountFailures] = .number(Double(Int.random(in: 0...8, using: &random)))
            s[.historyLogins] = .number(Double(Int.random(in: 0...20, using: &random)))
            s[.requestAction] = .string("a\(Int.random(in: 0...12, using: &random))")
            s[.ipCountry] = .string(["DE", "FR", "KP", "US"].randomElement(using: &random)!)
            s[.ipAddress] = .ip(IPAddress(v4: UInt32.random(in: 0...UInt32.max, using: &random)))
            inputs.append(s)
        }
        var evaluation = Evaluation()
        var index = 0
        var outcomes = 0
        let evaluate = measure(iterations: 200_000) {
            policy.evaluate(&inputs[index & 255], into: &evaluation)
            outcomes &+= evaluation.outcome.rank
            index &+= 1
        }
        blackHole(outcomes)
        print("evaluate 50-rule graph (\(policy.ruleIDs.count) decide + \(policy.scoreRuleIDs.count) score rules): median \(String(format: "%.0f", median(evaluate))) ns")
    }
}
