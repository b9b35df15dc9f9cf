import Foundation
import Testing
@testable import RiskGate
@testable import RiskGateEngine
@testable import RiskGatePolicy

@Suite struct UserIDTests {
    @Test(arguments: [
        ("u-42", "u-42"),
        ("alice@example.com", "alice@example.com"),
        ("rene\u{301}e", "ren\u{E9}e"),  // NFD → NFC
        ("ren\u{E9}e", "ren\u{E9}e"),
        ("\u{FF52}\u{FF45}\u{FF4E}\u{FF45}\u{FF45}", "renee"),  // fullwidth → ASCII
        ("Ｕ－４２", "U-42"),
        ("Åsa", "Åsa"),
        ("A\u{30A}sa", "Åsa"),
        ("東京", "東京"),
        ("Δημήτρης", "Δημήτρης"),
    ])
    func mapsToOneForm(raw: String, canonical: String) throws {
        let result = try UserID.canonical(raw)
        #expect(result == canonical)
        #expect(Array(result.utf8) == Array(canonical.utf8))
    }

    @Test(arguments: [
        "", "a b", "tab\there", "nul\u{0}", "zero\u{200B}width", "joiner\u{200D}x", "soft\u{AD}hyphen", "bidi\u{202E}x",
        "emoji😀", "ﬁle", "①", "ℌello", "vs\u{FE0F}", "line\u{2028}sep", "private\u{E000}", "nbsp\u{A0}x",
        String(repeating: "a", count: 257), String(repeating: "é", count: 200),
    ])
    func refuses(raw: String) {
        #expect(throws: UserID.Problem.self) { try UserID.canonical(raw) }
    }

    /// The attack: a decision for the NFD spelling after a cache refresh overwrote the NFC account
    /// (phone, KBA answers, lockouts and ban wiped; the next login of the real id was passive).
    /// Both spellings now reach one account, across decisions, foreign writes and cache evictions.
    @Test func nfcAndNFDSpellingsAreOneAccountThroughDecisionsForeignWritesAndEvictions() throws {
        let dir = TempDirectory()
        defer { dir.cleanup() }
        let path = dir.path("state.db")
        var options = SQLiteStateStore.Options()
        options.cachedUsers = 1
        let store = try SQLiteStateStore(path: path, options: options)
        let engine = try DecisionEngine(policy: DecisionEngineTests.policy(), store: store)
        let nfc = "ren\u{E9}e", nfd = "rene\u{301}e"
        // A foreign process (`riskgate account set`) creates the account and bans it.
        do {
            let other = try SQLiteStateStore(path: path)
            let admin = AccountAdmin(store: other, clock: SystemClock(), random: SystemRandomSource())
            try admin.update(user: nfd, AccountUpdate(phone: "+4915112345678"))
            var state = try #require(try other.loadUser(nfc))
            state.lockouts = 3
            state.banned = true
            try other.commit(StateChange(users: [nfc: state]))
        }
        for (i, spelling) in [nfd, "u-other", nfc, nfd, "u-evict", nfd].enumerated() {
            var request = DecisionEngineTests.request(spelling, "2026-11-20T12:0\(i):00Z", ip: "81.2.69.1", country: "DE",
                                                      lat: 52.5, lon: 13.4)
            try request.validate()
            let decision = try engine.decide(request)
            if spelling != "u-other" && spelling != "u-evict" {
                #expect(decision.outcome == .deny, "decision \(i) for the banned account was \(decision.outcome)")
            }
        }
        try engine.flush()
        let reopened = try SQLiteStateStore(path: path)
        let state = try #require(try reopened.loadUser(nfc))
        #expect(state.profile.phone == "+4915112345678")
        #expect(state.banned)
        #expect(state.lockouts == 3)
        #expect(try reopened.loadUser(nfd) == nil, "the NFD spelling has a row of its own")
    }
}
