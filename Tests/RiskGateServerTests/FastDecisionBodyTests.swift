import Foundation
import NIOCore
import RiskGate
import Testing
@testable import RiskGateServer
import RiskGatePolicy

/// The decision body's fast path gives exactly what the checked `JSONDecoder` path gives, and
/// hands every body it does not fully understand to that path.
@Suite struct FastDecisionBodyTests {
    static let accepted = [
        RouterTests.login,
        #"{"user": "u"}"#,
        #"{"user": "\u00fcser\"quoted\"\/slash", "channel": null, "geo": null, "typing": null}"#,
        #"{"user": "u", "time": "2026-11-20T12:00:00.250Z", "ip": "2001:db8::1", "geo": {"country": "DE", "asn": 3320, "lat": -0.0, "lon": 1e1}}"#,
        #"{"user": "u", "signals": {"device.new": true, "geo.distance_km": 2.5, "ip.country": null}, "label": {"attack": true, "account_takeover": false}}"#,
        #"  {"user": "u", "device": {"id": "d", "emulator": true, "rooted": null}, "phone": {"ani": "+1"}}  "#,
        #"{"user": "u", "typing": {"field": "pin", "keys": []}}"#,
        #"{"user": "u", "\u0063hannel": "web", "geo": {"\u0061sn": 1}}"#,
    ]

    static let handedOn = [
        #"{"user": "u", "chanel": "web"}"#,
        #"{"user": "u", "geo": {"altitude": 3}}"#,
        #"{"user": "u", "device": {"id": "d", "model": "x"}}"#,
        #"{"user": "u", "phone": {"ani": "+1", "carrier": "x"}}"#,
        #"{"user": "u", "label": {"attack": true, "bot": true}}"#,
        #"{"user": "u", "typing": {"field": "p", "keys": [], "layout": "qwerty"}}"#,
        #"{"user": "u", "\u0063hanel": "web"}"#,
        #"{"user": "u", "typing": {"field": "p", "keys": [{"down": 1, "up": 2, "key": "a"}]}}"#,
        #"{"user": "u", "typing": {"field": "p", "keys": [7]}}"#,
        #"{"user": 1}"#,
        "{",
        #"{"user": "u"} trailing"#,
    ]

    func slow(_ body: String) throws -> RiskGatePolicy.RequestContext {
        try JSONInput.decode(DecisionRequestBody.self, from: ByteBuffer(string: body)).context
    }

    @Test(arguments: accepted)
    func sameAsTheCheckedPath(_ body: String) throws {
        let fast = try #require(try FastDecisionBody.parse(ByteBuffer(string: body)))
        #expect(fast == (try slow(body)))
    }

    @Test(arguments: handedOn)
    func anythingUnusualGoesToTheCheckedPath(_ body: String) throws {
        #expect(try FastDecisionBody.parse(ByteBuffer(string: body)) == nil)
    }
}
