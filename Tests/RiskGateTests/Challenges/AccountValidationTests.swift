import Foundation
import Testing
@testable import RiskGate
@testable import RiskGateEngine

/// Account updates refuse what would alias a user or reach a screen raw: control characters in the
/// user id, the email, KBA questions and trusted device ids; nothing is stored then.
@Suite struct AccountValidationTests {
    static let refused: [(user: String, update: AccountUpdate, field: String)] = [
        ("a\u{0}b", AccountUpdate(phone: "+4915112345678"), "user"),
        ("u\u{1B}[2J", AccountUpdate(phone: "+4915112345678"), "user"),
        ("a\u{7F}b", AccountUpdate(phone: "+4915112345678"), "user"),
        ("admin\u{202E}", AccountUpdate(phone: "+4915112345678"), "user"),
        ("u-1", AccountUpdate(kba: [.init(question: "pet\u{85}name", answer: "Rex")]), "kba[0].question"),
        ("u-1", AccountUpdate(trustedDevices: ["d\u{2028}1"]), "trusted_devices"),
        ("u-1", AccountUpdate(email: "a\u{0}b@example.com"), "email"),
        ("u-1", AccountUpdate(email: "ab@example.com\u{0}"), "email"),
        ("u-1", AccountUpdate(kba: [.init(question: "pet\u{1B}[2J", answer: "Rex")]), "kba[0].question"),
        ("u-1", AccountUpdate(trustedDevices: ["d\u{0}"]), "trusted_devices"),
    ]

    @Test(arguments: 0..<refused.count)
    func refusedWithTheFieldNamedAndNothingStored(index: Int) throws {
        let (user, update, field) = Self.refused[index]
        let store = MemoryStateStore()
        let admin = AccountAdmin(store: store, clock: ManualClock(), random: TestRandom())
        #expect { try admin.update(user: user, update) } throws: { ($0 as? AccountError)?.field == field }
        #expect(store.userCount == 0)
    }

    @Test func plainValuesAreAccepted() throws {
        let store = MemoryStateStore()
        let admin = AccountAdmin(store: store, clock: ManualClock(), random: TestRandom())
        try admin.update(user: "u-1", AccountUpdate(email: "ab@example.com", kba: [.init(question: "first pet", answer: "Rex")],
                                                    trustedDevices: ["d-1"]))
        #expect(try store.loadUser("u-1")?.profile.email == "ab@example.com")
    }
}
