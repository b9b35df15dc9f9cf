import ArgumentParser
import Foundation
import RiskGateEngine
import RiskGatePolicy

/// Cost of computing every signal for one request, with lists and MMDB databases loaded and a
/// user state holding about 100 logins.
struct SignalsBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "signals", abstract: "All signals for one request; MMDB lookup cost.")

    func run() throws {
        guard let datasets = sharedDatasets() else {
            print("skipped: ../shared/datasets not found")
            return
        }
        let maxmind = datasets.appendingPathComponent("geo/maxmind-test")
        let geo = try GeoDatabase(files: ["GeoIP2-City-Test.mmdb", "GeoLite2-ASN-Test.mmdb", "GeoIP2-Anonymous-IP-Test.mmdb"]
            .map { maxmind.appendingPathComponent($0) })
        var lists: [IPSet] = []
        for name in ["tor-exit-nodes.txt", "x4bnet-vpn-v4.txt", "x4bnet-vpn-v6.txt"] {
            let text = try String(contentsOf: datasets.appendingPathComponent("ip/\(name)"), encoding: .utf8)
            lists.append(IPListFile.parse(text).set)
        }
        let settings = PolicySettings()
        let computer = SignalComputer(settings: settings, environment: SignalEnvironment(geo: geo, anonymousLists: lists))

        // A user with 100 logins over the last 90 days, 5 devices and an enrolled typing template.
        let now = Date(timeIntervalSince1970: 1_790_000_000)
        var state = UserState()
        state.profile.known = true
        state.profile.homeCountry = "GB"
        state.profile.phone = "+447700900123"
        state.profile.createdAt = now - 400 * 86_400
        // Each sample a little different, as a person types (identical samples would make every
        // distance 0, which flatters the nearest-neighbour search).
        var random = SeededRandom(seed: 5)
        func typedKeys() -> [RequestContext.Typing.Key] {
            var t = 0.0
            return (0..<10).map { _ in
                t += 170 + Double.random(in: -25...25, using: &random)
                return RequestContext.Typing.Key(down: t, up: t + 90 + Double.random(in: -15...15, using: &random))
            }
        }
        for i in 0..<100 {
            let keys = typedKeys()
            var r = RequestContext(user: "u-1")
            r.ip = "81.2.69.\(140 + i % 5)"
            r.device = RequestContext.Device(id: "d-\(i % 5)", userAgent: "Mozilla/5.0")
            r.typing = RequestContext.Typing(field: "password", keys: keys)
            var signals = SignalValues()
            let t = now - Double(100 - i) * 80_000
            let result = computer.compute(r, state: state, now: t, into: &signals)
            HistoryRecorder.recordAcceptedLogin(r, location: result.location, settings: settings, now: t, into: &state)
        }
        state.failures = [now - 300, now - 100]

        var request = RequestContext(user: "u-1")
        request.channel = "web"
        request.action = "login"
        request.ip = "81.2.69.160"
        request.device = RequestContext.Device(id: "d-3", userAgent: "Mozilla/5.0", emulator: false, rooted: false)
        request.typing = RequestContext.Typing(field: "password", keys: typedKeys())
        request.phone = RequestContext.Phone(ani: "+44 7700 900123")

        var signals = SignalValues()
        var sink = 0
        let perRequest = measure(rounds: 21, iterations: 20_000) {
            computer.compute(request, state: state, now: now, into: &signals)
            if signals[.ipKnown].isTrue { sink += 1 }
        }
        let available = signals.available.count

        let probes = ["81.2.69.142", "2001:218::1", "1.128.0.1", "216.160.83.56", "89.160.20.112", "175.16.199.1", "10.0.0.1", "8.8.8.8"]
            .compactMap { IPAddress($0) }
        var index = 0
        let locate = measure(iterations: 200_000) {
            if geo.locate(probes[index & 7])?.country != nil { sink += 1 }
            index += 1
        }
        let uncached = GeoDatabase(city: geo.city, asn: geo.asn, anonymous: geo.anonymous, cachingRecords: false)
        let locateUncached = measure(iterations: 200_000) {
            if uncached.locate(probes[index & 7])?.country != nil { sink += 1 }
            index += 1
        }
        let cityOnly = GeoDatabase(city: geo.city)
        let locateCity = measure(iterations: 200_000) {
            if cityOnly.locate(probes[index & 7])?.country != nil { sink += 1 }
            index += 1
        }
        blackHole(sink)
        print("signals per request (\(state.logins.count) logins, \(available) signals available, 3 MMDB + 3 lists): median \(String(format: "%.0f", median(perRequest))) ns")
        print("geo locate, city+asn+anonymous: median \(String(format: "%.0f", median(locate))) ns/lookup")
        print("geo locate, city+asn+anonymous, every record decoded (no record cache): median \(String(format: "%.0f", median(locateUncached))) ns/lookup")
        print("geo locate, city only: median \(String(format: "%.0f", median(locateCity))) ns/lookup")
    }
}
