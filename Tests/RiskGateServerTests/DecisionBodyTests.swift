import Foundation
import NIOCore
import RiskGateEngine
import RiskGatePolicy
import Testing
@testable import RiskGateServer

/// The decision body is read by the core's event parser, the one replay reads event lines with:
/// what replay reads from a line, the service reads from a body, and every refusal names its field.
@Suite struct DecisionBodyTests {
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

    @Test(arguments: accepted)
    func sameAsReplayReadsIt(_ body: String) throws {
        var fromReplay = try Array(body.utf8).withUnsafeBytes { raw in try EventLineParser.parse(raw, maxDepth: JSONInput.maxDepth).context }
        try fromReplay.validate()
        #expect(try DecisionBody.read(ByteBuffer(string: body)) == fromReplay)
    }

    @Test func fieldsAreRead() throws {
        let context = try DecisionBody.read(ByteBuffer(string: #"{"user": "u", "channel": "web", "geo": {"country": "DE", "lat": 52.5}, "typing": {"field": "p", "keys": [{"down": 1, "up": 2}]}}"#))
        #expect(context.user == "u" && context.channel == "web")
        #expect(context.geo?.country == "DE" && context.geo?.lat == 52.5)
        #expect(context.typing?.keys.map(\.up) == [2])
    }

    @Test(arguments: [
        (#"{"user": "u", "chanel": "web"}"#, "unknown_field", "chanel"),
        (#"{"user": "u", "geo": {"altitude": 3}}"#, "unknown_field", "geo.altitude"),
        (#"{"user": "u", "device": {"id": "d", "model": "x"}}"#, "unknown_field", "device.model"),
        (#"{"user": "u", "phone": {"ani": "+1", "carrier": "x"}}"#, "unknown_field", "phone.carrier"),
        (#"{"user": "u", "label": {"attack": true, "bot": true}}"#, "unknown_field", "label.bot"),
        (#"{"user": "u", "typing": {"field": "p", "keys": [], "layout": "qwerty"}}"#, "unknown_field", "typing.layout"),
        (#"{"user": "u", "\u0063hanel": "web"}"#, "unknown_field", "chanel"),
        (#"{"user": "u", "typing": {"field": "p", "keys": [{"down": 1, "up": 2, "key": "a"}]}}"#, "unknown_field", "typing.keys[0].key"),
        (#"{"user": "u", "zz": 1, "aa": 2, "geo": {"b": 1}}"#, "unknown_field", "aa"),
        (#"{"user": "u", "typing": {"field": "p", "keys": [7]}}"#, "invalid_field", "typing.keys[0]"),
        (#"{"user": "u", "typing": {"field": "p", "keys": [{"down": 1, "up": 2}, {"down": 1}]}}"#, "missing_field", "typing.keys[1].up"),
        (#"{"user": "u", "typing": {"keys": []}}"#, "missing_field", "typing.field"),
        (#"{"user": 1}"#, "invalid_field", "user"),
        (#"{"user": "u", "geo": {"lat": tru}}"#, "malformed_json", nil),
        (#"{"user": "u", "user": "v"}"#, "invalid_field", "user"),
        ("{", "malformed_json", nil),
        (#"{"user": "u"} trailing"#, "malformed_json", nil),
        ("[]", "invalid_body", nil),
    ] as [(String, String, String?)])
    func refusalsNameTheField(_ body: String, _ code: String, _ field: String?) {
        #expect(throws: APIError.self) { try DecisionBody.read(ByteBuffer(string: body)) }
        do {
            _ = try DecisionBody.read(ByteBuffer(string: body))
        } catch let error as APIError {
            #expect(error.code == code && error.field == field, "\(body): \(error)")
        } catch {
            Issue.record("\(body): \(error)")
        }
    }

    /// An empty body is refused in one place, `JSONInput.read`, for the decision body and every other one.
    @Test func anEmptyBodyIsMalformedEverywhere() {
        for read in [{ _ = try DecisionBody.read($0) }, { _ = try JSONInput.object($0) }] as [(ByteBuffer) throws -> Void] {
            do {
                try read(ByteBuffer())
                Issue.record("an empty body was accepted")
            } catch let error as APIError {
                #expect(error.code == "malformed_json" && error.message == "request body is empty" && error.field == nil)
            } catch {
                Issue.record("\(error)")
            }
        }
    }
}
