import Foundation
import Testing
@testable import RiskGateEngine
@testable import RiskGatePolicy

/// Attack vs legitimate separation on a synthetic stream: users with a stable home (country,
/// ASN, a few IPs, one or two devices) who sometimes travel, change IP or get a new device;
/// attackers from abroad, from the victim's own country, and "targeted" ones who also copy
/// the victim's user agent.
@Suite("Login model evaluation")
struct LoginModelEvaluationTests {
    static let countries = ["NO", "NO", "NO", "NO", "NO", "NO", "SE", "DK", "DE", "US", "GB", "PL", "FR", "NL"]
    static let agents = [
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:120.0) Gecko/20100101 Firefox/120.0",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Linux; Android 13; SM-S908B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36",
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
        "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
        "Mozilla/5.0 (Windows NT 6.1; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/109.0.0.0 Safari/537.36",
        "python-requests/2.31.0",
    ]

    struct Home {
        var country: Int
        var asns: [Int]
        var ips: [UInt32]
        var agents: [Int]
    }

    /// Country index, ASN number, IPv4 address (inside the ASN's /16).
    struct Place { var country: Int; var asn: Int; var ip: UInt32 }

    /// ASN j of country c; each ASN owns a /16.
    static func asn(_ c: Int, _ j: Int) -> Int { 1000 + c * 10 + j }
    static func ip(in asn: Int, _ rng: inout SeededRandom) -> UInt32 {
        UInt32(asn) << 16 | UInt32.random(in: 1...0xFFFE, using: &rng)
    }

    func features(_ p: Place, agent: Int) -> LoginFeatures {
        LoginFeatures(ip: IPAddress(v4: p.ip), asn: Double(p.asn), country: Self.countries[p.country],
                      userAgent: Self.agents[agent])
    }

    @Test("the model separates attacks from legitimate logins far better than country mismatch")
    func aucAgainstCountryMismatch() throws {
        var rng = SeededRandom(seed: 20_160_221)
        let model = LoginModel()
        let global = GlobalLoginStats()
        let userCount = 300
        var homes: [Home] = []
        var counts = [UserModelCounts](repeating: UserModelCounts(), count: userCount)
        for _ in 0..<userCount {
            let c = Int.random(in: 0..<Self.countries.count, using: &rng)
            let asns = (0..<Int.random(in: 1...2, using: &rng)).map { _ in Self.asn(c, Int.random(in: 0..<6, using: &rng)) }
            let ips = (0..<Int.random(in: 2...4, using: &rng)).map { _ in Self.ip(in: asns.randomElement(using: &rng)!, &rng) }
            let agents = (0..<Int.random(in: 1...2, using: &rng)).map { _ in Int.random(in: 0..<11, using: &rng) }
            homes.append(Home(country: c, asns: asns, ips: ips, agents: agents))
        }

        func randomPlace(country c: Int) -> Place {
            let a = Self.asn(c, Int.random(in: 0..<6, using: &rng))
            return Place(country: c, asn: a, ip: Self.ip(in: a, &rng))
        }
        func legit(_ home: Home) -> (Place, Int) {
            let r = Double.random(in: 0..<1, using: &rng)
            let place: Place
            if r < 0.05 {  // travel
                place = randomPlace(country: Int.random(in: 0..<Self.countries.count, using: &rng))
            } else if r < 0.15 {  // new IP from a home ASN
                let a = home.asns.randomElement(using: &rng)!
                place = Place(country: home.country, asn: a, ip: Self.ip(in: a, &rng))
            } else {
                let ip = home.ips.randomElement(using: &rng)!
                place = Place(country: home.country, asn: Int(ip >> 16), ip: ip)
            }
            let agent = Double.random(in: 0..<1, using: &rng) < 0.08
                ? Int.random(in: 0..<11, using: &rng) : home.agents.randomElement(using: &rng)!
            return (place, agent)
        }

        // Warm-up: 20 accepted logins per user, interleaved.
        for _ in 0..<20 {
            for u in 0..<userCount {
                let (p, a) = legit(homes[u])
                model.learn(features(p, agent: a), user: &counts[u], global: global)
            }
        }

        var legitModel: [Double] = [], attackModel: [Double] = []
        var legitCountry: [Double] = [], attackCountry: [Double] = []
        for round in 0..<5 {
            for u in 0..<userCount {
                let home = homes[u]
                let (p, a) = legit(home)
                let f = features(p, agent: a)
                legitModel.append(model.assess(f, user: counts[u], global: global).logRatio)
                legitCountry.append(Self.countries[p.country] == Self.countries[home.country] ? 0 : 1)
                model.learn(f, user: &counts[u], global: global)

                // Every other user is attacked once per round, in turn by each attacker type.
                guard (u + round) % 2 == 0 else { continue }
                let place: Place, agent: Int
                switch (u / 2 + round) % 3 {
                case 0:  // from abroad, any client
                    var c = home.country
                    while Self.countries[c] == Self.countries[home.country] {
                        c = Int.random(in: 0..<Self.countries.count, using: &rng)
                    }
                    place = randomPlace(country: c)
                    agent = Int.random(in: 0..<Self.agents.count, using: &rng)
                case 1:  // from the victim's country, any client
                    place = randomPlace(country: home.country)
                    agent = Int.random(in: 0..<Self.agents.count, using: &rng)
                default:  // targeted: victim's country and user agent
                    place = randomPlace(country: home.country)
                    agent = home.agents.randomElement(using: &rng)!
                }
                attackModel.append(model.assess(features(place, agent: agent), user: counts[u], global: global).logRatio)
                attackCountry.append(Self.countries[place.country] == Self.countries[home.country] ? 0 : 1)
            }
        }

        let modelAUC = try #require(ROC.auc(positives: attackModel, negatives: legitModel))
        let countryAUC = try #require(ROC.auc(positives: attackCountry, negatives: legitCountry))
        print("login model AUC \(String(format: "%.3f", modelAUC)) vs country mismatch \(String(format: "%.3f", countryAUC)) (\(attackModel.count) attacks, \(legitModel.count) legit)")
        #expect(attackModel.count > 600 && legitModel.count == 1500)
        #expect(modelAUC > 0.9)
        #expect(modelAUC > countryAUC + 0.15)
    }
}
