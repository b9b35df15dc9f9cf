import Foundation
import Testing
@testable import RiskGate
@testable import RiskGateEngine
@testable import RiskGatePolicy

/// A deterministic RandomSource (SplitMix64) so tests see the same codes every run.
final class TestRandom: RandomSource, @unchecked Sendable {
    private let lock = NSLock()
    private var generator: SeededRandom
    init(seed: UInt64 = 42) { generator = SeededRandom(seed: seed) }
    func bytes(_ count: Int) -> [UInt8] {
        lock.withLock { (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) } }
    }
}

/// A fresh temporary directory, removed by the caller via `cleanup()`.
struct TempDirectory {
    let url: URL
    init() {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("riskgate-test-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
    func cleanup() { try? FileManager.default.removeItem(at: url) }
}

/// Builds decisions, requests and accounts for challenge tests.
struct ChallengeFixture {
    let store: any StateStore
    let clock = ManualClock(Date(timeIntervalSince1970: 1_790_000_000))
    let random = TestRandom()
    var settings = PolicySettings()
    var policy = ChallengePolicy()

    init(store: any StateStore = MemoryStateStore()) { self.store = store }

    var service: ChallengeService { ChallengeService(store: store, clock: clock, random: random, settings: settings) }
    var admin: AccountAdmin { AccountAdmin(store: store, clock: clock, random: random) }

    func decision(_ outcome: Outcome, id: String = "dec-1") -> Decision {
        Decision(id: id, outcome: outcome, score: 50, band: "medium", rule: "medium", path: ["medium"],
                 contributions: [.init(id: "new-device", points: 15, reason: "device.new")],
                 policy: .init(name: "test", hash: "sha256:abc"),
                 explanation: .init(signals: ["device.new": .bool(true), "ip.address": .string("203.0.113.7"), "channel": .string("chat")],
                                    conditions: []))
    }

    func request(channel: String = "chat") -> RequestContext {
        var r = RequestContext(user: "u-1")
        r.channel = channel
        r.time = clock.now()
        return r
    }

    /// Sets up u-1 with a phone, email, two KBA answers and a secret.
    func enroll(phone: String? = "+4915112345678", email: String? = "u1@example.com") throws {
        try admin.update(user: "u-1", AccountUpdate(
            homeCountry: "DE", phone: phone, email: email,
            kba: [.init(question: "first pet", answer: "Rex the Dog"), .init(question: "birth city", answer: "Rosebud Springs")],
            secret: "tulip7castle"))
    }

    /// Makes and commits a challenge; returns it with the delivered code (empty when no OTP step).
    /// `familiar`: the request came from a context the account knows (the engine sets it from the signals).
    func issue(_ outcome: Outcome = .otp, channel: String = "chat", familiar: Bool = false, fallback: (Int) -> Bool = { _ in false },
               sourceLocation: SourceLocation = #_sourceLocation) throws -> (NewChallenge, code: String) {
        let user = try store.loadUser("u-1") ?? UserState()
        let maybe = service.makeChallenge(for: decision(outcome), request: request(channel: channel), user: user,
                                          policy: policy, fallbackApplies: fallback)
        var made = try #require(maybe, sourceLocation: sourceLocation)
        if familiar { made.challenge?.familiar = true }
        try store.commit(StateChange(challenges: made.challenge.map { [$0] } ?? [], outbox: made.outbox))
        var code = ""
        if let message = made.outbox.first(where: { $0.kind == "otp" }) {
            let opened = try message.openedForDelivery(keyring: store.secrets)
            let body = try JSONDecoder().decode([String: String].self, from: Data(opened.body.utf8))
            code = body["code"] ?? ""
        }
        return (made, code)
    }
}
