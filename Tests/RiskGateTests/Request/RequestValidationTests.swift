import Foundation
import Testing
@testable import RiskGateEngine
@testable import RiskGatePolicy

@Suite struct RequestValidationTests {
    static func decoded(_ json: String) throws -> RequestContext {
        try JSONDecoder().decode(RequestContext.self, from: Data(json.utf8))
    }

    @Test(arguments: [
        #"{"user": "u"}"#,
        #"{"user": "u", "ip": "203.0.113.7", "result": "failure"}"#,
        #"{"user": "u", "ip": "2001:db8::7", "result": "success"}"#,
        #"{"user": "u", "ip": "::ffff:192.0.2.1"}"#,
        #"{"user": "u", "signals": {"device.new": true, "geo.distance_km": 12.5, "ip.country": null}}"#,
        #"{"user": "u", "geo": {"lat": -90, "lon": 180, "accuracy_km": 0}}"#,
        #"{"user": "u", "typing": {"field": "password", "keys": [{"down": 0, "up": 0}, {"down": 5, "up": 90}]}}"#,
    ])
    func acceptsWellFormedRequests(json: String) throws {
        var request = try Self.decoded(json)
        try request.validate()
    }

    @Test(arguments: [
        (#"{"user": ""}"#, "user"),
        (#"{"user": "u", "ip": "203.0.113.256"}"#, "ip"),
        (#"{"user": "u", "ip": "203.0.113.07"}"#, "ip"),
        (#"{"user": "u", "ip": " 203.0.113.7"}"#, "ip"),
        (#"{"user": "u", "ip": "203.0.113.7, 10.0.0.1"}"#, "ip"),
        (#"{"user": "u", "ip": "unknown"}"#, "ip"),
        (#"{"user": "u", "ip": ""}"#, "ip"),
        (#"{"user": "u", "geo": {"accuracy_km": 1e308}}"#, "geo.accuracy_km"),
        (#"{"user": "u", "geo": {"accuracy_km": 20000.5}}"#, "geo.accuracy_km"),
        (#"{"user": "victim\u0000x"}"#, "user"),
        (#"{"user": "u\u001b[2J"}"#, "user"),
        (#"{"user": "u", "device": {"id": "d\u0000"}}"#, "device.id"),
        (#"{"user": "u", "signals": {"device.neww": true}}"#, "signals.device.neww"),
        (#"{"user": "u", "signals": {"device.new": "maybe"}}"#, "signals.device.new"),
        (#"{"user": "u", "signals": {"score": 0}}"#, "signals.score"),
        (#"{"user": "u", "signals": {"ip.asn": 1, "ip.address": "10.0.0.999"}}"#, "signals.ip.address"),
        (#"{"user": "u", "result": "fail"}"#, "result"),
        (#"{"user": "u", "result": "Success"}"#, "result"),
        (#"{"user": "u", "geo": {"lat": 90.5}}"#, "geo.lat"),
        (#"{"user": "u", "geo": {"lon": -181}}"#, "geo.lon"),
        (#"{"user": "u", "geo": {"accuracy_km": -1}}"#, "geo.accuracy_km"),
        (#"{"user": "u", "typing": {"field": "p", "keys": [{"down": 0, "up": 9}, {"down": 10, "up": 9}]}}"#, "typing.keys[1]"),
    ])
    func refusesAndNamesTheField(json: String, field: String) throws {
        var request = try Self.decoded(json)
        #expect(throws: RequestProblem.self) { try request.validate() }
        do {
            try request.validate()
        } catch {
            #expect(error.field == field)
            #expect(error.message.hasPrefix("`\(field)`"), "\(error.message)")
        }
    }

    @Test func userLengthLimitIsInBytes() throws {
        var request = RequestContext(user: String(repeating: "é", count: RequestContext.maxUserBytes / 2))
        try request.validate()
        request.user += "x"
        #expect(throws: RequestProblem.self) { try request.validate() }
    }

    @Test func problemsNeverEchoTheValue() throws {
        var request = try Self.decoded(#"{"user": "u", "ip": "198.51.100.77x"}"#)
        do {
            try request.validate()
            Issue.record("accepted a bad ip")
        } catch {
            #expect(!error.message.contains("198.51"))
        }
    }

    /// Characters that let one id pass for another on a screen or in a log: C0 and C1 controls,
    /// the line and paragraph separators, and bidirectional overrides and isolates.
    @Test(arguments: ["a\u{0}b", "a\u{1F}", "a\u{7F}", "a\u{80}", "a\u{85}b", "a\u{9F}", "a\u{2028}b", "a\u{2029}",
                      "\u{202A}a", "a\u{202E}evil", "a\u{2066}", "a\u{2069}"])
    func invisibleAndControlCharactersAreRefusedInIds(user: String) throws {
        #expect(RequestContext.hasControlCharacter(user))
        #expect(RequestContext.hasControlCharacter(utf8: Array(user.utf8)))
        #expect(throws: RequestProblem.self) {
            var request = RequestContext(user: user)
            try request.validate()
        }
        var device = RequestContext(user: "u")
        device.device = .init(id: user)
        #expect { try device.validate() } throws: { ($0 as? RequestProblem)?.field == "device.id" }
    }

    /// Their neighbours in the encoding stay allowed in device ids: other scripts, punctuation and
    /// symbols. User ids follow the stricter PRECIS rule (``UserIDTests``).
    @Test(arguments: ["é", "\u{A0}", "\u{A1}", "\u{2027}", "\u{202F}", "\u{2065}", "\u{206A}", "ü-ß-Ж-中-😀", "a\u{2013}b", "–—‘’“”…"])
    func neighbouringCharactersAreAccepted(id: String) throws {
        #expect(!RequestContext.hasControlCharacter(id))
        var request = RequestContext(user: "u")
        request.device = .init(id: id)
        try request.validate()
    }

    /// Validation puts the user id in its one form.
    @Test func validationCanonicalisesTheUser() throws {
        var request = RequestContext(user: "rene\u{301}e")
        try request.validate()
        #expect(Array(request.user.utf8) == Array("ren\u{E9}e".utf8))
    }
}
