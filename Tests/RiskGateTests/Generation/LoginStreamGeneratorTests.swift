import Foundation
import Testing
@testable import RiskGatePolicy
@testable import RiskGateReplay

@Suite struct LoginStreamGeneratorTests {
    func generate(users: Int, events: Int, seed: UInt64) throws -> (bytes: [UInt8], stats: GeneratorStatistics) {
        let writer = EventWriter(sink: .memory)
        var generator = LoginStreamGenerator(configuration: GeneratorConfiguration(users: users, events: events, seed: seed))
        let stats = try generator.write(to: writer)
        return (writer.collected, stats)
    }

    func decode(_ bytes: [UInt8]) throws -> [RequestContext] {
        let decoder = JSONDecoder()
        return try bytes.split(separator: UInt8(ascii: "\n")).map { try decoder.decode(RequestContext.self, from: Data($0)) }
    }

    @Test func sameSeedSameBytesDifferentSeedDifferentBytes() throws {
        let a = try generate(users: 200, events: 3000, seed: 7)
        let b = try generate(users: 200, events: 3000, seed: 7)
        let c = try generate(users: 200, events: 3000, seed: 8)
        #expect(a.bytes == b.bytes)
        #expect(a.bytes != c.bytes)
        #expect(a.stats == b.stats)
    }

    @Test func everyLineDecodesIsLabelledAndInTimeOrder() throws {
        let (bytes, stats) = try generate(users: 300, events: 5000, seed: 1)
        let events = try decode(bytes)
        #expect(events.count == 5000)
        #expect(stats.events == 5000)
        #expect(events.allSatisfy { $0.label?.attack != nil && $0.label?.accountTakeover != nil })
        #expect(events.allSatisfy { $0.time != nil && $0.id != nil })
        let times = events.compactMap(\.time)
        #expect(zip(times, times.dropFirst()).allSatisfy { $0 <= $1 })
        #expect(Set(events.compactMap(\.id)).count == events.count)
        // Takeovers are attacks.
        #expect(events.allSatisfy { $0.label?.accountTakeover != true || $0.label?.attack == true })
        #expect(events.filter { $0.label?.isAttack == true }.count == stats.attacks)
    }

    @Test(arguments: [UInt64(3), 99, 12345])
    func attackShareIsInRangeAndEveryKindOccurs(seed: UInt64) throws {
        let (bytes, stats) = try generate(users: 1000, events: 20000, seed: seed)
        let share = Double(stats.attacks) / Double(stats.events)
        #expect(share >= 0.03 && share <= 0.08, "attack share \(share)")
        #expect(stats.stuffing > 0 && stats.targeted > 0 && stats.hijack > 0 && stats.impossibleTravel > 0)
        #expect(stats.takeovers > 0 && stats.takeovers < stats.attacks)
        #expect(stats.travelLogins > 0 && stats.newDeviceLogins > 0 && stats.vpnLogins > 0)
        let events = try decode(bytes)
        #expect(events.filter { $0.label?.isAttack == true }.count == stats.attacks)
    }

    @Test func channelsCarryWhatTheyShould() throws {
        let events = try decode(try generate(users: 300, events: 6000, seed: 5).bytes)
        #expect(Set(events.compactMap(\.channel)) == ["web", "app", "chat", "voice"])
        for e in events {
            switch e.channel {
            case "voice":
                #expect(e.phone?.ani?.hasPrefix("+") == true)
                #expect(e.ip == nil && e.typing == nil)
            case "web", "app":
                #expect(e.ip.flatMap(IPAddress.init) != nil)
                #expect(e.geo?.country?.count == 2)
                if let typing = e.typing {
                    #expect(typing.field == "password")
                    #expect(typing.keys.count == TypingProfile.keyCount)
                    #expect(typing.keys.allSatisfy { $0.up > $0.down })
                    #expect(zip(typing.keys, typing.keys.dropFirst()).allSatisfy { $0.down < $1.down })
                }
            default:
                #expect(e.channel == "chat")
            }
        }
        // Legitimate web/app password logins carry typing.
        let legitPassword = events.filter { $0.label?.isAttack == false && ($0.channel == "web" || $0.channel == "app") }
        #expect(legitPassword.allSatisfy { $0.typing != nil })
    }

    @Test func legitimateTravelIsNeverFasterThanAnAirliner() throws {
        let events = try decode(try generate(users: 400, events: 20000, seed: 11).bytes)
        var last: [String: (Date, Double, Double)] = [:]
        var checked = 0
        for e in events where e.label?.isAttack == false {
            guard let geo = e.geo, let lat = geo.lat, let lon = geo.lon, let time = e.time else { continue }
            // A VPN login shows the VPN's location, not the user's; skip those hosting sites.
            if geo.accuracyKm == 100 { continue }
            if let (t0, lat0, lon0) = last[e.user] {
                let hours = time.timeIntervalSince(t0) / 3600
                let km = WorldData.distanceKm(lat0, lon0, lat, lon)
                if km > 500 {
                    checked += 1
                    #expect(km / max(hours, 1e-6) < 900, "user \(e.user) moved \(km) km in \(hours) h")
                }
            }
            last[e.user] = (time, lat, lon)
        }
        #expect(checked > 0)
    }

    @Test func memoryIsPerUserNotPerEvent() throws {
        // Few users, many events: the schedule never grows beyond users plus open incidents.
        let (_, stats) = try generate(users: 3, events: 20000, seed: 2)
        #expect(stats.events == 20000)
    }

    @Test func builtInNetworksAreUsedUnlessFilesLoad() {
        #expect(AttackNetworks.load(directory: "/nonexistent") == nil)
        #expect(!AttackNetworks.builtIn.datacenter.isEmpty && !AttackNetworks.builtIn.tor.isEmpty)
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: "../shared/datasets/ip/tor-exit-nodes.txt"), "needs ../shared/datasets"))
    func sharedListsLoadAFewHundredNetworks() throws {
        let networks = try #require(AttackNetworks.load(directory: "../shared/datasets/ip"))
        #expect(networks.datacenter.count == AttackNetworks.sampleSize)
        #expect(networks.tor.count > 100 && networks.tor.count <= AttackNetworks.sampleSize)
    }
}

@Suite struct ShippedDatasetTests {
    @Test(arguments: ["datasets/handmade-labelled.jsonl", "datasets/sample-events.jsonl"])
    func everyLineDecodesWithALabel(path: String) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let decoder = JSONDecoder()
        let events = try data.split(separator: UInt8(ascii: "\n")).map { try decoder.decode(RequestContext.self, from: Data($0)) }
        #expect(!events.isEmpty)
        #expect(events.allSatisfy { $0.label != nil && $0.time != nil })
        let times = events.compactMap(\.time)
        #expect(zip(times, times.dropFirst()).allSatisfy { $0 <= $1 })
    }

    @Test func handmadeCountsMatchItsReadme() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: "datasets/handmade-labelled.jsonl"))
        let events = try data.split(separator: UInt8(ascii: "\n")).map { try JSONDecoder().decode(RequestContext.self, from: Data($0)) }
        #expect(events.count == 21)
        #expect(events.filter { $0.label?.isAttack == false }.count == 15)
        #expect(events.filter { $0.label?.isAttack == true }.count == 6)
        #expect(events.filter { $0.label?.attack == true }.count == 5)
        #expect(events.filter { $0.label?.accountTakeover == true }.count == 2)
    }
}
