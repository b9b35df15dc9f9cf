import Foundation
import Testing
@testable import RiskGateEngine
@testable import RiskGatePolicy

@Suite("Login model")
struct LoginModelTests {
    let model = LoginModel()
    static let chrome = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"
    static let android = "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Mobile Safari/537.36"

    func login(_ ip: String?, _ asn: Double?, _ country: String?, _ ua: String? = nil) -> LoginFeatures {
        LoginFeatures(ip: ip.flatMap { IPAddress($0) }, asn: asn, country: country, userAgent: ua)
    }

    @Test("country codes are normalised the same with and without the ASCII fast path")
    func countryCodes() {
        func reference(_ c: String) -> String { String(c.prefix(16).uppercased().filter { !$0.isWhitespace }.prefix(8)) }
        for c in ["US", "us", "Us", "DE1", "ABCDEFGH", "ABCDEFGHI", " N O ", "no\n", "ß", "Ünï", "", "12345678",
                  "AAAAAAAAAAAAAAAAAAAA", "A-B", "🙂"] {
            #expect(LoginFeatures.countryCode(c) == reference(c), "\(c)")
        }
    }

    @Test("contributions follow the documented formula on a hand example")
    func formula() {
        let global = GlobalLoginStats()
        var user = UserModelCounts()
        let home = login("192.0.2.1", 64500, "NO")
        model.learn(home, user: &user, global: global)
        model.learn(home, user: &user, global: global)
        model.learn(login("192.0.2.2", 64500, "no"), user: &user, global: global)

        let a = model.assess(home, user: user, global: global)
        // Country: global 3 logins, 1 value; user the same.
        let qCountry = (3 + 1.0 / 250) / 4, pCountry = (3 + qCountry) / 4
        // ASN under NO: likewise.
        let qASN = (3 + 1.0 / 1000) / 4, pASN = (3 + qASN) / 4
        // IP under AS64500: 2 of 3 logins, 2 distinct IPs.
        let qIP = (2 + 2.0 / 65536) / 5, pIP = (2 + 2 * qIP) / 5
        #expect(abs(a.contribution(of: .country) - log(qCountry / pCountry)) < 1e-12)
        #expect(abs(a.contribution(of: .asn) - log(qASN / pASN)) < 1e-12)
        #expect(abs(a.contribution(of: .ip) - log(qIP / pIP)) < 1e-12)
        #expect(a.contribution(of: .userAgent) == 0)
        // Account: N = 3, U = 1, n = 3: log((3 + 1) / (1 · 4)) = 0.
        #expect(abs(a.accountLogRatio) < 1e-12)
        let sum = ModelLevel.allCases.map { a.contribution(of: $0) }.reduce(a.accountLogRatio, +)
        #expect(abs(a.logRatio - sum) < 1e-12)
        #expect(abs(a.risk - 1 / (1 + exp(-a.logRatio))) < 1e-12)
    }

    @Test("an unseen value backs off: the ratio at the first unseen level is (n + t) / t, finer levels are neutral")
    func backoff() {
        let global = GlobalLoginStats()
        var user = UserModelCounts()
        for i in 0..<9 { model.learn(login("192.0.2.\(i % 3 + 1)", 64500, "NO"), user: &user, global: global) }
        var other = UserModelCounts()
        for _ in 0..<5 { model.learn(login("198.51.100.7", 64600, "US"), user: &other, global: global) }

        let abroad = model.assess(login("198.51.100.7", 64600, "US"), user: user, global: global)
        #expect(abs(abroad.contribution(of: .country) - log(10.0 / 1)) < 1e-12)
        #expect(abroad.contribution(of: .asn) == 0)
        #expect(abroad.contribution(of: .ip) == 0)

        let newIP = model.assess(login("192.0.2.200", 64500, "NO"), user: user, global: global)
        // 9 logins in AS64500 over 3 IPs: (9 + 3) / 3.
        #expect(abs(newIP.contribution(of: .ip) - log(12.0 / 3)) < 1e-12)
        #expect(newIP.logRatio < abroad.logRatio)

        let usual = model.assess(login("192.0.2.1", 64500, "NO"), user: user, global: global)
        #expect(usual.logRatio < newIP.logRatio)
        #expect(usual.risk < 0.5)
        #expect(abroad.risk > 0.5)
        #expect(abroad.top.first?.feature == "country")
        #expect(abroad.top.first?.value == "US")
    }

    @Test("a user with no history is scored by the account prior alone")
    func newUser() {
        let global = GlobalLoginStats()
        for u in 0..<4 {
            var user = UserModelCounts()
            for _ in 0..<5 { model.learn(login("10.0.0.\(u)", 1, "NO", Self.chrome), user: &user, global: global) }
        }
        let a = model.assess(login("203.0.113.9", 666, "RU", Self.android), user: UserModelCounts(), global: global)
        for level in ModelLevel.allCases { #expect(a.contribution(of: level) == 0) }
        // N = 20, U = 4 (+1 for this user): log((20 + 5) / (5 · 1)).
        #expect(abs(a.logRatio - log(25.0 / 5)) < 1e-12)
        #expect(a.userLogins == 0)
        // Empty statistics: still finite.
        let empty = model.assess(login(nil, nil, nil), user: UserModelCounts(), global: GlobalLoginStats())
        #expect(empty.logRatio == 0)
        #expect(empty.risk == 0.5)
    }

    @Test("the agent chain: a new browser version on the usual device is less unusual than a new device")
    func agentChain() {
        let global = GlobalLoginStats()
        var user = UserModelCounts()
        for _ in 0..<20 { model.learn(login("192.0.2.1", 64500, "NO", Self.chrome), user: &user, global: global) }
        var other = UserModelCounts()
        for _ in 0..<20 { model.learn(login("192.0.2.9", 64500, "NO", Self.android), user: &other, global: global) }
        let upgraded = Self.chrome.replacingOccurrences(of: "Chrome/120", with: "Chrome/121")
        let a = model.assess(login("192.0.2.1", 64500, "NO", upgraded), user: user, global: global)
        let b = model.assess(login("192.0.2.1", 64500, "NO", Self.android), user: user, global: global)
        #expect(a.contribution(of: .deviceType) < 0)
        #expect(a.contribution(of: .browser) > 0)
        #expect(b.contribution(of: .deviceType) > 0)
        #expect(b.logRatio > 0)
        #expect(a.logRatio < b.logRatio)
        #expect(b.top.contains { $0.feature == "device_type" && $0.value == "mobile" })
    }

    @Test("scores depend only on the history: two runs agree, and a merge equals learning everything")
    func determinismAndMerge() throws {
        func history(_ seed: UInt64, users: Range<Int>, into global: GlobalLoginStats, _ counts: inout [Int: UserModelCounts]) {
            var rng = SeededRandom(seed: seed)
            for _ in 0..<400 {
                let u = Int.random(in: users, using: &rng)
                let f = login("10.\(u).0.\(Int.random(in: 1...4, using: &rng))", Double(u % 7), u % 3 == 0 ? "SE" : "NO",
                              Bool.random(using: &rng) ? Self.chrome : Self.android)
                model.learn(f, user: &counts[u, default: UserModelCounts()], global: global)
            }
        }
        let probe = login("10.3.0.2", 3, "NO", Self.chrome)
        let g1 = GlobalLoginStats(), g2 = GlobalLoginStats()
        var c1: [Int: UserModelCounts] = [:], c2: [Int: UserModelCounts] = [:]
        history(1, users: 0..<20, into: g1, &c1)
        history(1, users: 0..<20, into: g2, &c2)
        #expect(c1 == c2)
        #expect(g1.encoded() == g2.encoded())
        #expect(model.assess(probe, user: c1[3]!, global: g1) == model.assess(probe, user: c2[3]!, global: g2))

        // Shards with disjoint users, merged, equal one store that saw both.
        let shardA = GlobalLoginStats(), shardB = GlobalLoginStats(), whole = GlobalLoginStats()
        var ca: [Int: UserModelCounts] = [:], cb: [Int: UserModelCounts] = [:], cw: [Int: UserModelCounts] = [:]
        history(2, users: 0..<10, into: shardA, &ca)
        history(3, users: 10..<20, into: shardB, &cb)
        history(2, users: 0..<10, into: whole, &cw)
        history(3, users: 10..<20, into: whole, &cw)
        let merged = shardA.snapshot()
        merged.merge(shardB)
        #expect(merged.encoded() == whole.encoded())
        #expect(merged.userCount == 20 && merged.totalLogins == 800)
        #expect(shardA.totalLogins == 400, "snapshot must not alias the original")
        let u = try #require(cw[3])
        #expect(model.assess(probe, user: u, global: merged) == model.assess(probe, user: u, global: whole))
    }

    @Test("global statistics round-trip and reject damaged bytes")
    func globalPersistence() throws {
        let global = GlobalLoginStats()
        var user = UserModelCounts()
        for i in 0..<30 { model.learn(login("192.0.2.\(i % 5)", 64500 + Double(i % 2), "NO", Self.chrome), user: &user, global: global) }
        let data = global.encoded()
        let loaded = try GlobalLoginStats(decoding: data)
        #expect(loaded.encoded() == data)
        let probe = login("192.0.2.77", 64501, "NO", Self.android)
        #expect(model.assess(probe, user: user, global: loaded) == model.assess(probe, user: user, global: global))

        #expect(throws: GlobalLoginStats.FormatError.self) { try GlobalLoginStats(decoding: Data()) }
        #expect(throws: GlobalLoginStats.FormatError.self) { try GlobalLoginStats(decoding: data.prefix(data.count - 3)) }
        var badVersion = [UInt8](data); badVersion[4] = 9
        #expect(throws: GlobalLoginStats.FormatError.self) { try GlobalLoginStats(decoding: Data(badVersion)) }
        var orphan = [UInt8](data)  // first record's parent key bytes start at 32 + 8
        orphan[40] ^= 0xFF
        #expect(throws: GlobalLoginStats.FormatError.self) { try GlobalLoginStats(decoding: Data(orphan)) }
        var hugeCount = [UInt8](data); hugeCount[31] = 0x7F
        #expect(throws: GlobalLoginStats.FormatError.self) { try GlobalLoginStats(decoding: Data(hugeCount)) }
    }

    @Test("user counts are bounded, evict the least used with its descendants, and round-trip through JSON")
    func userBounds() throws {
        let global = GlobalLoginStats()
        var user = UserModelCounts()
        for _ in 0..<10 { model.learn(login("192.0.2.1", 64500, "NO", Self.chrome), user: &user, global: global) }
        for i in 0..<500 {
            model.learn(login("198.51.\(i / 200).\(i % 200)", Double(1000 + i), "C\(i % 40)", "agent \(i)"),
                        user: &user, global: global)
        }
        for level in ModelLevel.allCases {
            let n = user.entries.filter { Int($0.level) == level.rawValue }.count
            #expect(n <= UserModelCounts.capacity[level.rawValue], "\(level.name)")
        }
        #expect(user.total == 510)
        // The long-standing home values survive the churn.
        let home = login("192.0.2.1", 64500, "NO", Self.chrome)
        for level in ModelLevel.allCases {
            #expect(user.entries.contains { $0.key == home.keys[level.rawValue] }, "\(level.name)")
        }
        // No entry is left whose parent was evicted.
        let keys = Set(user.entries.map(\.key))
        for e in user.entries where !(ModelLevel(rawValue: Int(e.level))?.isChainRoot ?? true) {
            #expect(keys.contains(e.parent))
        }
        let json = try JSONEncoder().encode(user)
        #expect(json.count < 6000)
        #expect(try JSONDecoder().decode(UserModelCounts.self, from: json) == user)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(UserModelCounts.self, from: Data(#"{"total": 1, "entries": "AAAA"}"#.utf8))
        }
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(UserModelCounts.self, from: Data(#"{"total": -1, "entries": ""}"#.utf8))
        }
    }

    @Test("global statistics prune rare leaves past their cap and keep scoring")
    func globalBound() {
        let global = GlobalLoginStats(maxValues: 200)
        var heavy = UserModelCounts()
        for _ in 0..<50 { model.learn(login("192.0.2.1", 64500, "NO"), user: &heavy, global: global) }
        for i in 0..<1000 {
            var u = UserModelCounts()
            model.learn(login("10.\(i / 250).\(i % 250).1", 7, "SE"), user: &u, global: global)
        }
        #expect(global.distinctValues <= 200)
        #expect(global.totalLogins == 1050)
        let a = model.assess(login("192.0.2.1", 64500, "NO"), user: heavy, global: global)
        #expect(a.logRatio.isFinite)
        #expect(a.risk < 0.5)
    }
}
