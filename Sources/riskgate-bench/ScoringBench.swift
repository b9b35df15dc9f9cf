import ArgumentParser
import Foundation
import RiskGateEngine
import RiskGatePolicy

/// Cost of one login-model assessment for a user with a 100-login history.
struct ScoringBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scoring", abstract: "Login model: ns per assess (user with 100 logins) and per learn.")

    @Option(help: "Other users in the global statistics.")
    var users = 20_000

    func run() throws {
        let agents = [
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15",
        ]
        let countries = ["NO", "NO", "NO", "SE", "DK", "US", "DE"]
        var rng = SeededRandom(seed: 42)
        func login(country: Int, asn: Int, host: Int, agent: Int) -> LoginFeatures {
            LoginFeatures(ip: IPAddress(v4: UInt32(asn & 0xFFFF) << 16 | UInt32(host & 0xFFFF)), asn: Double(asn),
                          country: countries[country], userAgent: agents[agent])
        }

        let model = LoginModel()
        let global = GlobalLoginStats()
        // Background: other users, 10 logins each.
        for _ in 0..<users {
            var counts = UserModelCounts()
            let c = Int.random(in: 0..<countries.count, using: &rng), asn = 100 * c + Int.random(in: 0..<20, using: &rng)
            let agent = Int.random(in: 0..<agents.count, using: &rng)
            for _ in 0..<10 {
                model.learn(login(country: c, asn: asn, host: Int.random(in: 1..<200, using: &rng), agent: agent),
                            user: &counts, global: global)
            }
        }
        // The measured user: 100 logins over a few IPs, two ASNs, two devices, one trip.
        var user = UserModelCounts()
        for i in 0..<100 {
            let abroad = i % 50 == 49
            model.learn(login(country: abroad ? 5 : 0, asn: abroad ? 503 : (i % 4 == 0 ? 7 : 3),
                              host: i % 12, agent: i % 5 == 0 ? 1 : 0), user: &user, global: global)
        }
        // Probes: usual logins, new IPs, new devices, foreign attackers.
        let probes = (0..<64).map { i in
            switch i % 4 {
            case 0: login(country: 0, asn: 3, host: i % 12, agent: 0)
            case 1: login(country: 0, asn: 3, host: 1000 + i, agent: 1)
            case 2: login(country: 0, asn: 11, host: i, agent: 2)
            default: login(country: 6, asn: 611, host: i, agent: 3)
            }
        }

        var index = 0
        var sink = 0.0
        let assess = measure(iterations: 200_000) {
            sink += model.assess(probes[index & 63], user: user, global: global).logRatio
            index += 1
        }
        // The machine may be shared: thread CPU time shows the cost without time spent descheduled.
        let assessCPU = measureThreadCPU(iterations: 200_000) {
            sink += model.assess(probes[index & 63], user: user, global: global).logRatio
            index += 1
        }
        let learnTarget = GlobalLoginStats()
        var learner = UserModelCounts()
        let learn = measure(rounds: 5, iterations: 100_000) {
            model.learn(probes[index & 63], user: &learner, global: learnTarget)
            index += 1
        }
        var featureSink = 0
        let extract = measure(rounds: 5, iterations: 50_000) {
            featureSink &+= login(country: 0, asn: 3, host: index & 0xFF, agent: index & 3).keys[6] == 0 ? 1 : 0
            index += 1
        }
        blackHole(sink)
        blackHole(featureSink)
        print("login model: \(users) background users (\(global.totalLogins) logins, \(global.distinctValues) values)")
        print("assess (user with 100 logins, \(user.entries.count) counted values): median \(String(format: "%.0f", median(assess))) ns/assess wall, \(String(format: "%.0f", median(assessCPU))) ns/assess thread CPU")
        print("learn: median \(String(format: "%.0f", median(learn))) ns/learn")
        print("features (parse UA, hash levels): median \(String(format: "%.0f", median(extract))) ns/login")
    }
}

/// Like `measure`, but in this thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`), so that time spent
/// waiting for a core on a busy machine is not counted.
func measureThreadCPU(rounds: Int = 15, iterations: Int, _ body: () -> Void) -> [Double] {
    func now() -> UInt64 {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_nsec)
    }
    var results: [Double] = []
    for _ in 0..<rounds {
        let start = now()
        for _ in 0..<iterations { body() }
        results.append(Double(now() - start) / Double(iterations))
    }
    return results.sorted()
}
