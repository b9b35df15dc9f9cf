import Foundation
import Testing
@testable import RiskGateEngine
@testable import RiskGatePolicy

@Suite struct MMDBReaderTests {
    // MARK: - MaxMind's own test databases

    @Test(.enabled(if: SignalsTestData.available, "../shared/datasets/geo/maxmind-test is absent"))
    func cityTestDatabaseLocatesLondon() throws {
        let city = try SignalsTestData.mmdb("GeoIP2-City-Test.mmdb")
        #expect(city.metadata.databaseType == "GeoIP2-City")
        let record = try #require(try city.record(for: IPAddress("81.2.69.142")!)?.tree())
        #expect(record[path: ["country", "iso_code"]] == .string("GB"))
        #expect(record[path: ["city", "names", "en"]] == .string("London"))
        #expect(record[path: ["location", "accuracy_radius"]]?.doubleValue == 10)
        let geo = GeoDatabase(city: city).locate(IPAddress("81.2.69.142")!)
        #expect(geo == GeoInfo(country: "GB", latitude: 51.5142, longitude: -0.0931, accuracyRadiusKm: 10))
        // Outside every network of the test database.
        #expect(try city.record(for: IPAddress("10.0.0.1")!)?.tree() == nil)
        #expect(GeoDatabase(city: city).locate(IPAddress("10.0.0.1")!) == nil)
    }

    /// Every network in each source JSON must read back exactly, through both the generic and the typed path.
    @Test(.enabled(if: SignalsTestData.available, "../shared/datasets/geo/maxmind-test is absent"),
          arguments: ["GeoIP2-City-Test", "GeoLite2-ASN-Test", "GeoIP2-Anonymous-IP-Test", "GeoIP2-ISP-Test", "GeoIP2-IP-Risk-Test"])
    func recordsMatchTheirSourceJSON(name: String) throws {
        let reader = try SignalsTestData.mmdb("\(name).mmdb")
        let json = try Data(contentsOf: SignalsTestData.maxmind.appendingPathComponent("source-data/\(name).json"))
        let entries = try #require(try JSONSerialization.jsonObject(with: json) as? [[String: Any]])
        // Normalise every network to IPv6 form so overlapping entries compare; the database writer
        // inserts in file order, so the last entry covering an address is the one stored.
        var networks: [(IPNetwork, Any)] = []
        for entry in entries {
            for (key, value) in entry {
                let network = try #require(IPNetwork(key), "bad network \(key)")
                let v6 = network.address.isV4
                    ? IPNetwork(address: IPAddress(v6High: 0, low: network.address.low), prefixLength: network.prefixLength + 96)
                    : network
                networks.append((v6, value))
            }
        }
        #expect(networks.count > 10)
        // One database for every probe, so records that networks share come from its cache after
        // the first decoding and must still match the source.
        let geo = GeoDatabase(city: name.contains("City") ? reader : nil, asn: name.contains("ASN") || name.contains("ISP") ? reader : nil,
                              anonymous: name.contains("Anonymous") ? reader : nil)
        var checked = 0
        for (network, _) in networks {
            let probe = network.address.masked(to: network.prefixLength)
            let expected = networks.filter { n, _ in
                probe.masked(to: n.prefixLength) == n.address.masked(to: n.prefixLength)
            }.last!.1
            // Look IPv4-embedded networks up as IPv4 (the ::/96 subtree) and everything else as IPv6.
            let ip = probe.high == 0 && probe.low >> 32 == 0 && network.prefixLength >= 96
                ? IPAddress(v4: UInt32(probe.low)) : probe
            let record = try #require(try reader.record(for: ip)?.tree(), "no record for \(ip) in \(name)")
            #expect(matches(record, expected), "record for \(ip) in \(name): \(record)")
            let located = geo.locate(ip)
            if name.contains("City") {
                #expect(located?.country == (record[path: ["country", "iso_code"]] ?? record[path: ["registered_country", "iso_code"]])?.stringValue)
                #expect(located?.latitude == record[path: ["location", "latitude"]]?.doubleValue)
                #expect(located?.accuracyRadiusKm == record[path: ["location", "accuracy_radius"]]?.doubleValue)
            } else if name.contains("ASN") || name.contains("ISP") {
                #expect(located?.asn == record["autonomous_system_number"]?.doubleValue)
            } else if name.contains("Anonymous") {
                #expect(located?.anonymous?.contains(.torExitNode) == (record["is_tor_exit_node"]?.boolValue ?? false))
                #expect(located?.anonymous?.contains(.anonymous) == (record["is_anonymous"]?.boolValue ?? false))
            }
            checked += 1
        }
        #expect(checked == networks.count)
    }

    private func matches(_ value: MMDBValue, _ json: Any) -> Bool {
        switch value {
        case .map(let entries):
            guard let object = json as? [String: Any], object.count == entries.count else { return false }
            return entries.allSatisfy { key, v in object[key].map { matches(v, $0) } ?? false }
        case .array(let items):
            guard let array = json as? [Any], array.count == items.count else { return false }
            return zip(items, array).allSatisfy { matches($0, $1) }
        case .string(let s): return (json as? String) == s
        case .bool(let b): return (json as? Bool) == b
        default:
            guard let number = json as? NSNumber, let v = value.doubleValue else { return false }
            return abs(number.doubleValue - v) <= 1e-6 * max(1, abs(v))
        }
    }

    /// The record cache changes nothing: every address of the test databases' networks (and
    /// addresses outside them), asked twice, gives what decoding every record gives.
    @Test(.enabled(if: SignalsTestData.available, "../shared/datasets/geo/maxmind-test is absent"))
    func cachedRecordsGiveTheDecodedAnswers() throws {
        let city = try SignalsTestData.mmdb("GeoIP2-City-Test.mmdb"), asn = try SignalsTestData.mmdb("GeoLite2-ASN-Test.mmdb")
        let anonymous = try SignalsTestData.mmdb("GeoIP2-Anonymous-IP-Test.mmdb")
        let cached = GeoDatabase(city: city, asn: asn, anonymous: anonymous)
        let decoded = GeoDatabase(city: city, asn: asn, anonymous: anonymous, cachingRecords: false)
        var probes: [IPAddress] = []
        for name in ["GeoIP2-City-Test", "GeoLite2-ASN-Test", "GeoIP2-Anonymous-IP-Test"] {
            let json = try Data(contentsOf: SignalsTestData.maxmind.appendingPathComponent("source-data/\(name).json"))
            let entries = try #require(try JSONSerialization.jsonObject(with: json) as? [[String: Any]])
            for entry in entries {
                for key in entry.keys {
                    guard let network = IPNetwork(key) else { continue }
                    probes.append(network.address.masked(to: network.prefixLength))
                }
            }
        }
        probes += ["10.0.0.1", "8.8.8.8", "::1"].compactMap { IPAddress($0) }
        #expect(probes.count > 100)
        var located = 0
        for round in 0..<2 {
            for ip in probes {
                let answer = cached.locate(ip)
                #expect(answer == decoded.locate(ip), "\(ip), round \(round)")
                if answer != nil { located += 1 }
            }
        }
        #expect(located > probes.count)
    }

    @Test func recordCacheStartsAgainWhenFull() throws {
        let cache = GeoRecordCache<Int>(capacity: 3)
        var decodings = 0
        for offset in [1, 2, 3, 1, 2, 3] {
            #expect(cache.record(at: offset) { decodings += 1; return offset * 10 } == offset * 10)
        }
        #expect(decodings == 3 && cache.count == 3)
        #expect(cache.record(at: 4) { decodings += 1; return nil } == nil)
        #expect(cache.count == 1 && decodings == 4)
        #expect(cache.record(at: 4) { decodings += 1; return 99 } == nil, "a record without the fields is kept as such")
        struct Damaged: Error {}
        #expect(throws: Damaged.self) { try cache.record(at: 5) { throw Damaged() } }
        #expect(cache.count == 1)
    }

    @Test(.enabled(if: SignalsTestData.available, "../shared/datasets/geo/maxmind-test is absent"))
    func anonymousDatabaseFlagsTorExit() throws {
        let geo = GeoDatabase(anonymous: try SignalsTestData.mmdb("GeoIP2-Anonymous-IP-Test.mmdb"))
        #expect(geo.locate(IPAddress("1.124.213.1")!)?.anonymous == [.anonymous, .anonymousVPN, .torExitNode])
        #expect(geo.locate(IPAddress("71.160.223.5")!)?.anonymous == [.anonymous, .hostingProvider])
        #expect(geo.locate(IPAddress("2001:480:3a::1")!)?.anonymous == [.anonymous, .publicProxy])
        // Loaded but not listed: known not anonymous.
        #expect(geo.locate(IPAddress("8.8.8.8")!)?.anonymous == [])
    }

    @Test(.enabled(if: SignalsTestData.available, "../shared/datasets/geo/maxmind-test is absent"))
    func filesAreSortedByDatabaseType() throws {
        let dir = SignalsTestData.maxmind
        let geo = try GeoDatabase(files: ["GeoLite2-City-Test.mmdb", "GeoLite2-ASN-Test.mmdb", "GeoIP2-Anonymous-IP-Test.mmdb"]
            .map { dir.appendingPathComponent($0) })
        #expect(geo.city?.metadata.databaseType == "GeoLite2-City")
        #expect(geo.asn?.metadata.databaseType == "GeoLite2-ASN")
        #expect(geo.anonymous?.metadata.databaseType == "GeoIP2-Anonymous-IP")
        let info = try #require(geo.locate(IPAddress("1.128.0.1")!))
        #expect(info.asn == 1221)
        #expect(throws: MMDBError.self) {
            try GeoDatabase(files: ["GeoLite2-City-Test.mmdb", "GeoIP2-City-Test.mmdb"].map { dir.appendingPathComponent($0) })
        }
    }

    @Test(.enabled(if: SignalsTestData.available, "../shared/datasets/geo/maxmind-test is absent"))
    func everyTestDatabaseOpensAndAnswers() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: SignalsTestData.maxmind.path).filter { $0.hasSuffix(".mmdb") }
        #expect(files.count >= 5)
        for file in files {
            let reader = try SignalsTestData.mmdb(file)
            #expect([24, 28, 32].contains(reader.metadata.recordSize))
            for text in ["1.2.3.4", "81.2.69.142", "2001:218::1", "::1", "216.160.83.56"] {
                _ = try reader.record(for: IPAddress(text)!)?.tree()
            }
        }
    }

    // MARK: - Damaged files

    @Test(.enabled(if: SignalsTestData.available, "../shared/datasets/geo/maxmind-test is absent"))
    func truncatedAndMutatedFilesNeverCrash() throws {
        let probes = ["81.2.69.142", "89.160.20.112", "2001:218::1", "216.160.83.56", "1.2.3.4", "2a02:cf40::1", "175.16.199.1"]
            .map { IPAddress($0)! }
        var results = (opened: 0, failedToOpen: 0, lookupErrors: 0)
        func exercise(_ bytes: [UInt8]) {
            guard let reader = try? MMDBReader(bytes: bytes) else { results.failedToOpen += 1; return }
            results.opened += 1
            let geo = GeoDatabase(city: reader, asn: reader, anonymous: reader)
            for ip in probes {
                do {
                    if let record = try reader.record(for: ip) {
                        for path in MMDBCheckPaths.all { _ = try record.value(path) }
                    }
                } catch {
                    results.lookupErrors += 1
                }
                _ = geo.locate(ip)
            }
        }
        for name in ["GeoIP2-City-Test.mmdb", "GeoLite2-ASN-Test.mmdb"] {
            let original = [UInt8](try Data(contentsOf: SignalsTestData.maxmind.appendingPathComponent(name)))
            // Every truncation length in coarse steps, plus the last 300 bytes (the metadata) one by one.
            for length in Swift.stride(from: 0, to: original.count, by: 61) { exercise(Array(original.prefix(length))) }
            for length in max(0, original.count - 300)..<original.count { exercise(Array(original.prefix(length))) }
            var generator = SeededRandom(seed: 42)
            for _ in 0..<1500 {
                var bytes = original
                for _ in 0..<Int.random(in: 1...8, using: &generator) {
                    bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
                }
                exercise(bytes)
            }
        }
        #expect(results.opened > 1000)
        #expect(results.failedToOpen > 100)
        #expect(results.lookupErrors > 0)
    }

    @Test func notAnMMDBFileIsRejected() {
        #expect(throws: MMDBError.self) { try MMDBReader(bytes: Array("hello world".utf8)) }
        #expect(throws: MMDBError.self) { try MMDBReader(bytes: []) }
        #expect(throws: MMDBError.self) { try MMDBReader(contentsOf: URL(fileURLWithPath: "/nonexistent/x.mmdb")) }
    }

    // MARK: - Synthetic databases: every record size and data type

    @Test(arguments: [24, 28, 32], [4, 6])
    func searchTreeWorksForEveryRecordSize(recordSize: Int, ipVersion: Int) throws {
        var data: [UInt8] = []
        TestMMDBWriter.encode(.map([("n", .uint32(1))]), into: &data)
        let second = data.count
        TestMMDBWriter.encode(.map([("n", .uint32(2))]), into: &data)
        let third = data.count
        TestMMDBWriter.encode(.map([("n", .uint32(3))]), into: &data)
        var networks = [(IPNetwork("10.0.0.0/8")!, 0), (IPNetwork("10.1.0.0/16")!, second), (IPNetwork("192.0.2.7/32")!, third)]
        if ipVersion == 6 { networks.append((IPNetwork("2001:db8::/32")!, third)) }
        let reader = try MMDBReader(bytes: TestMMDBWriter.database(recordSize: recordSize, ipVersion: ipVersion, networks: networks, data: data))
        #expect(try reader.record(for: IPAddress("10.200.3.4")!)?.tree()["n"] == .uint(1))
        #expect(try reader.record(for: IPAddress("10.1.3.4")!)?.tree()["n"] == .uint(2))
        #expect(try reader.record(for: IPAddress("192.0.2.7")!)?.tree()["n"] == .uint(3))
        #expect(try reader.record(for: IPAddress("192.0.2.8")!)?.tree() == nil)
        #expect(try reader.record(for: IPAddress("11.0.0.1")!)?.tree() == nil)
        if ipVersion == 6 {
            #expect(try reader.record(for: IPAddress("2001:db8::5")!)?.tree()["n"] == .uint(3))
            #expect(try reader.record(for: IPAddress("::10.1.0.1")!)?.tree()["n"] == .uint(2))
            #expect(try reader.record(for: IPAddress("2001:db9::5")!)?.tree() == nil)
        } else {
            #expect(try reader.record(for: IPAddress("2001:db8::5")!)?.tree() == nil)
        }
    }

    /// Records beyond 2^24 use the high nibble of a 28-bit record and the top byte of a 32-bit one.
    @Test(arguments: [28, 32])
    func largeRecordValuesDecode(recordSize: Int) throws {
        var data: [UInt8] = []
        TestMMDBWriter.encode(.bytes(Array(repeating: 0, count: 16_800_000)), into: &data)
        let far = data.count
        TestMMDBWriter.encode(.map([("far", .bool(true))]), into: &data)
        let reader = try MMDBReader(bytes: TestMMDBWriter.database(recordSize: recordSize, ipVersion: 6,
                                                                   networks: [(IPNetwork("2001:db8::/32")!, far), (IPNetwork("10.0.0.0/8")!, far)], data: data))
        #expect(try reader.record(for: IPAddress("2001:db8::1")!)?.tree()["far"] == .bool(true))
        #expect(try reader.record(for: IPAddress("10.9.9.9")!)?.tree()["far"] == .bool(true))
    }

    @Test func everyDataTypeDecodes() throws {
        var data: [UInt8] = []
        TestMMDBWriter.encode(.string("shared value"), into: &data)
        let record = data.count
        let long = String(repeating: "x", count: 300)
        let longer = String(repeating: "y", count: 70_000)
        TestMMDBWriter.encode(.map([
            ("double", .double(-12.5)), ("float", .float(1.5)), ("u16", .uint16(65_535)), ("u32", .uint32(4_000_000_000)),
            ("u64", .uint64(UInt64.max)), ("u128", .uint128(high: 1, low: 2)), ("i32", .int32(-7)), ("yes", .bool(true)),
            ("no", .bool(false)), ("bytes", .bytes([1, 2, 3])), ("long", .string(long)), ("longer", .string(longer)),
            ("array", .array([.uint16(1), .string("two"), .map([("three", .uint32(3))])])),
            ("pointed", .pointer(0)),
            ("location", .map([("latitude", .float(52.5)), ("longitude", .int32(13)), ("accuracy_radius", .uint16(20))])),
        ]), into: &data)
        let reader = try MMDBReader(bytes: TestMMDBWriter.database(recordSize: 24, ipVersion: 4, networks: [(IPNetwork("1.0.0.0/8")!, record)], data: data))
        let value = try #require(try reader.record(for: IPAddress("1.2.3.4")!)?.tree())
        #expect(value["double"] == .double(-12.5))
        #expect(value["float"] == .float(1.5))
        #expect(value["u16"] == .uint(65_535))
        #expect(value["u32"] == .uint(4_000_000_000))
        #expect(value["u64"] == .uint(UInt64.max))
        #expect(value["u128"] == .uint128(high: 1, low: 2))
        #expect(value["i32"] == .int(-7))
        #expect(value["yes"] == .bool(true))
        #expect(value["no"] == .bool(false))
        #expect(value["bytes"] == .bytes([1, 2, 3]))
        #expect(value["long"] == .string(long))
        #expect(value["longer"] == .string(longer))
        #expect(value["array"] == .array([.uint(1), .string("two"), .map(["three": .uint(3)])]))
        #expect(value["pointed"] == .string("shared value"))
        let info = GeoDatabase(city: reader).locate(IPAddress("1.2.3.4")!)
        #expect(info == GeoInfo(latitude: 52.5, longitude: 13, accuracyRadiusKm: 20))
    }

    @Test func deepNestingAndPointerBombsAreRefused() throws {
        // 200 nested arrays.
        var nested: TestMMDBWriter.V = .uint16(1)
        for _ in 0..<200 { nested = .array([nested]) }
        var data: [UInt8] = []
        TestMMDBWriter.encode(nested, into: &data)
        let deep = try MMDBReader(bytes: TestMMDBWriter.database(recordSize: 24, ipVersion: 4, networks: [(IPNetwork("1.0.0.0/8")!, 0)], data: data))
        #expect(throws: MMDBError.self) { try deep.record(for: IPAddress("1.1.1.1")!)?.tree() }

        // Each level is an array of 16 pointers to the level below: 16^8 values if expanded.
        var bomb: [UInt8] = []
        TestMMDBWriter.encode(.string("boom"), into: &bomb)
        var previous = 0
        for _ in 0..<8 {
            let here = bomb.count
            TestMMDBWriter.encode(.array(Array(repeating: .pointer(previous), count: 16)), into: &bomb)
            previous = here
        }
        let exploded = try MMDBReader(bytes: TestMMDBWriter.database(recordSize: 24, ipVersion: 4, networks: [(IPNetwork("1.0.0.0/8")!, previous)], data: bomb))
        // Reading fields by path follows only the pointers on the path: nothing is expanded.
        let record = try #require(try exploded.record(for: IPAddress("1.1.1.1")!))
        #expect(try record.value(MMDBPath("country", "iso_code")) == nil)
        #expect(GeoDatabase(city: exploded).locate(IPAddress("1.1.1.1")!) == GeoInfo())

        // A pointer to itself.
        var loop: [UInt8] = []
        TestMMDBWriter.encode(.pointer(0), into: &loop)
        let looped = try MMDBReader(bytes: TestMMDBWriter.database(recordSize: 24, ipVersion: 4, networks: [(IPNetwork("1.0.0.0/8")!, 0)], data: loop))
        #expect(throws: MMDBError.self) { try looped.record(for: IPAddress("1.1.1.1")!)?.tree() }
        #expect(GeoDatabase(city: looped).locate(IPAddress("1.1.1.1")!) == nil)
    }
}

/// Field paths the damaged-file test reads (by path, as signals do: a mutated file could fan out
/// if decoded whole).
enum MMDBCheckPaths {
    static let all = [MMDBPath("country", "iso_code"), MMDBPath("city", "names", "en"), MMDBPath("location", "latitude"),
                      MMDBPath("autonomous_system_number"), MMDBPath("is_anonymous")]
}
