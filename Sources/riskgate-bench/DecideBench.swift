import ArgumentParser
import Foundation
import RiskGate
import RiskGateEngine
import RiskGatePolicy
import RiskGateReplay

/// The decision pipeline in process, as the HTTP service runs it minus HTTP: `DecisionEngine.decide`
/// on SQLite state (group commit, cache, audit), with the policy's lists and the MaxMind test
/// databases, on the same request mix as `scripts/load-test.sh`.
///
/// Users are given a 20-day login history and enrolled first (not measured); then `--threads`
/// callers decide `--decisions` requests. Prints decisions/s, wall time per decision and CPU per
/// decision (all threads, the store's writer included), so the service's cost can be split into
/// engine and HTTP.
struct DecideBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decide", abstract: "Decisions through DecisionEngine on SQLite state, without HTTP.")

    @Option(help: "The policy (YAML).")
    var policy = "policies/web-login.yaml"

    @Option(help: "Enrolled users, each with a login history.")
    var users = 2_000

    @Option(help: "Past logins per user, replayed through the engine before measuring.")
    var history = 20

    @Option(help: "Decisions measured.")
    var decisions = 40_000

    @Option(help: "Concurrent callers (the service's request tasks).")
    var threads = 2

    func run() throws {
        let candidate = try compiledPolicy(at: policy)
        var configuration = DecisionEngine.Configuration()
        if let datasets = sharedDatasets() {
            let maxmind = datasets.appendingPathComponent("geo/maxmind-test")
            configuration.geo = try GeoDatabase(files: ["GeoIP2-City-Test.mmdb", "GeoLite2-ASN-Test.mmdb", "GeoIP2-Anonymous-IP-Test.mmdb"]
                .map { maxmind.appendingPathComponent($0) })
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("riskgate-decide-bench-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try SQLiteStateStore(path: folder.appendingPathComponent("state.db").path)
        let mix = LoginMix(users: users)

        // The history goes in as a deployment imports it (`riskgate replay --state`): every past
        // login accepted, so users have devices, places and a typing template.
        let now = Date()
        let importer = try ReplayEngine(policy: candidate, geo: configuration.geo, backing: store, writesBack: true)
        var random = SeededRandom(seed: 7)
        for day in 0..<history {
            for user in 1...users {
                let login = mix.request(user: user, at: now - Double(history - day) * 86_400, random: &random, usual: true)
                _ = try importer.replay(login, attackerFailsChallenges: false)
            }
        }
        try importer.finish()
        let engine = try DecisionEngine(policy: candidate, store: store, configuration: configuration)
        for user in 1...users {
            try engine.updateAccount(user: "u-\(user)", AccountUpdate(
                homeCountry: mix.home(user), phone: "+49151\(1_000_000 + user)", email: "u\(user)@example.com"))
        }

        let startCPU = processCPUSeconds()
        let start = DispatchTime.now().uptimeNanoseconds
        let outcomes = try decideConcurrently(engine, count: decisions) { _, random in
            mix.request(user: Int(random.next() % UInt64(users)) + 1, at: now, random: &random, usual: false)
        }
        let wall = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let cpu = processCPUSeconds() - startCPU
        let shares = outcomes.sorted { $0.key.rawValue < $1.key.rawValue }
            .map { "\($0.key.rawValue) \(String(format: "%.1f", 100 * Double($0.value) / Double(decisions)))%" }
        print(String(format: "%d decisions, %d callers: %.0f decisions/s; %.1f µs wall and %.1f µs CPU per decision (all threads)",
                     decisions, threads, Double(decisions) / wall, wall * 1e6 / Double(decisions), cpu * 1e6 / Double(decisions)))
        print("outcomes: " + shares.joined(separator: ", "))
    }

    /// Runs `count` decisions on `threads` threads; returns how many ended in each outcome.
    @discardableResult
    private func decideConcurrently(_ engine: DecisionEngine, count: Int,
                                    _ make: @escaping @Sendable (Int, inout SeededRandom) -> RequestContext) throws -> [Outcome: Int] {
        let callers = max(1, threads)
        let results = ResultsBox(callers)
        // A thread per caller: `concurrentPerform` runs no more iterations at once than there are
        // cores, which would leave two callers on a 2-core machine however many were asked for,
        // and the store's group commit would see batches of two where the service sees dozens.
        let done = DispatchGroup()
        for caller in 0..<callers {
            done.enter()
            let thread = Thread {
                defer { done.leave() }
                var random = SeededRandom(seed: UInt64(caller + 1) &* 0x9E37_79B9)
                var tally: [Outcome: Int] = [:]
                do {
                    for index in stride(from: caller, to: count, by: callers) {
                        tally[try engine.decide(make(index, &random)).outcome, default: 0] += 1
                    }
                    results.set(caller, .success(tally))
                } catch {
                    results.set(caller, .failure(error))
                }
            }
            thread.start()
        }
        done.wait()
        var total: [Outcome: Int] = [:]
        for result in results.all {
            for (outcome, n) in try result.get() { total[outcome, default: 0] += n }
        }
        return total
    }
}

/// Realistic logins, as in `scripts/load-test.sh`: each user has a home country, an IP, a device
/// and a typing rhythm; a few requests travel, come from a new device, fail the password or ask
/// for a sensitive action.
private struct LoginMix: Sendable {
    let users: Int
    static let countries = ["DE", "DE", "DE", "FR", "NL", "US", "GB", "PL", "BR", "NG"]
    static let coordinates: [String: (Double, Double)] = [
        "DE": (52.52, 13.40), "FR": (48.85, 2.35), "NL": (52.37, 4.90), "US": (40.71, -74.0),
        "GB": (51.51, -0.13), "PL": (52.23, 21.01), "BR": (-23.55, -46.63), "NG": (6.52, 3.38),
    ]

    func home(_ user: Int) -> String { Self.countries[user % Self.countries.count] }

    func request(user: Int, at time: Date, random: inout SeededRandom, usual: Bool) -> RequestContext {
        var country = home(user)
        var ip = "81.\((user / 256) % 200 + 10).\(user % 256).7"
        var device = "d-\(user)"
        var action = "login", result = "success"
        let roll = usual ? 1.0 : random.unit()
        if roll < 0.03 {
            country = Self.countries[Int(random.next() % UInt64(Self.countries.count))]
            ip = "\(100 + random.next() % 100).\(random.next() % 256).\(random.next() % 256).\(1 + random.next() % 254)"
        } else if roll < 0.08 {
            device = "d-new-\(random.next() % 1_000_000)"
        } else if roll < 0.10 {
            result = "failure"
        } else if roll < 0.13 {
            action = random.next() % 2 == 0 ? "password_reset" : "payment"
        }
        var request = RequestContext(user: "u-\(user)")
        request.time = time + random.unit() * 3_600
        request.channel = "web"
        request.action = action
        request.ip = ip
        let (lat, lon) = Self.coordinates[country] ?? (0, 0)
        request.geo = RequestContext.Geo(country: country, lat: lat, lon: lon, accuracyKm: 20)
        request.device = RequestContext.Device(id: device, userAgent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/132.0",
                                               emulator: false, rooted: false)
        var keys: [RequestContext.Typing.Key] = []
        var at = 0.0
        for i in 1...10 {
            let base = Double(70 + (user * 7 + i * 13) % 60), gap = Double(110 + (user * 11 + i * 17) % 120)
            let hold = base + Double(Int(random.next() % 17) - 8)
            keys.append(RequestContext.Typing.Key(down: at, up: at + hold))
            at += gap + Double(Int(random.next() % 31) - 15)
        }
        request.typing = RequestContext.Typing(field: "password", keys: keys)
        request.result = result
        return request
    }
}

extension SeededRandom {
    /// Uniform in [0, 1).
    fileprivate mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}

/// Per-caller results, written once each from `concurrentPerform`.
private final class ResultsBox: @unchecked Sendable {
    private let lock = NSLock()
    private var results: [Result<[Outcome: Int], any Error>]
    init(_ count: Int) { results = Array(repeating: .success([:]), count: count) }
    func set(_ index: Int, _ result: Result<[Outcome: Int], any Error>) { lock.withLock { results[index] = result } }
    var all: [Result<[Outcome: Int], any Error>] { lock.withLock { results } }
}
