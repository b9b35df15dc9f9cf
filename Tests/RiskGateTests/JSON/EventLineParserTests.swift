import Foundation
import Testing
@testable import RiskGateEngine
@testable import RiskGatePolicy

/// Holds the byte-level parser to what `JSONDecoder` does with `RequestContext`.
@Suite struct EventLineParserTests {
    func parse(_ line: String) -> Result<RequestContext, JSONScanner.Failure> {
        var copy = line
        return copy.withUTF8 { buffer -> Result<RequestContext, JSONScanner.Failure> in
            do throws(JSONScanner.Failure) {
                return .success(try EventLineParser.parse(UnsafeRawBufferPointer(buffer)).context)
            } catch {
                return .failure(error)
            }
        }
    }

    func decode(_ line: String) -> RequestContext? {
        try? JSONDecoder().decode(RequestContext.self, from: Data(line.utf8))
    }

    /// What a strict reader should make of `line`: `JSONDecoder`'s result when the whole line is
    /// valid JSON, else nil. (`JSONDecoder` never looks inside values it does not decode, so on its
    /// own it accepts bad escapes or `01` under unknown keys; replay treats such a line as broken.)
    func reference(_ line: String) -> RequestContext? {
        guard (try? JSONSerialization.jsonObject(with: Data(line.utf8), options: [.fragmentsAllowed])) != nil else { return nil }
        return decode(line)
    }

    @Test func parsesTheSpecExample() throws {
        let line = #"""
        {"id": "evt-81", "time": "2026-11-20T10:00:00Z", "user": "u-42", "channel": "chat", "action": "login", "ip": "203.0.113.7", "geo": {"country": "DE", "lat": 52.52, "lon": 13.40, "accuracy_km": 20}, "device": {"id": "d-9f2", "user_agent": "Mozilla/5.0 ...", "emulator": false, "rooted": false}, "typing": {"field": "password", "keys": [{"down": 0, "up": 95}]}, "phone": {"ani": "+4915112345678"}, "result": "success", "label": {"attack": true, "account_takeover": false}}
        """#
        let parsed = try parse(line).get()
        #expect(parsed == decode(line))
        #expect(parsed.user == "u-42")
        #expect(parsed.geo?.accuracyKm == 20)
        #expect(parsed.typing?.keys == [RequestContext.Typing.Key(down: 0, up: 95)])
        #expect(parsed.label?.isAttack == true)
        #expect(parsed.time == Timestamp.parse("2026-11-20T10:00:00Z"))
    }

    @Test(arguments: [
        (#"{"user":"a\"b\\c\/d\ne\tf"}"#, "a\"b\\c/d\ne\tf"),
        (#"{"user":"caf\u00e9"}"#, "café"),
        (#"{"user":"\ud83d\ude00!"}"#, "😀!"),
        (#"{"user":"raw é 😀"}"#, "raw é 😀"),
        (#"{"user":"\u0041\u00DF\u6771"}"#, "Aß東"),
    ])
    func decodesStringEscapes(line: String, user: String) throws {
        #expect(try parse(line).get().user == user)
        #expect(decode(line)?.user == user)
    }

    @Test(arguments: [
        (#"{"user":"\ud83d"}"#, "unpaired"),
        (#"{"user":"\ude00x"}"#, "unpaired"),
        (#"{"user":"\x"}"#, "invalid escape"),
        (#"{"user":"\u12"}"#, "four hex digits"),
        ("{\"user\":\"a\u{01}b\"}", "control character"),
        (#"{"user":"abc"#, "truncated"),
        (#"{"user":"abc","#, "truncated"),
        (#"{"user":"a","label":{"attack":tr"#, "truncated"),
        (#"{"user":"a","geo":{"lat":-"#, "truncated"),
        (#"{"user":"a","x":nu"#, "truncated"),
        (#"{"user":"a","label":{"attack":fals"#, "truncated"),
        (#"{"user":5}"#, "`user`"),
        (#"{"user":null}"#, "`user`"),
        (#"{"id":"x"}"#, "missing `user`"),
        (#"{"user":"a","geo":{"lat":"52"}}"#, "`geo.lat`"),
        (#"{"user":"a","device":{"emulator":1}}"#, "`device.emulator`"),
        (#"{"user":"a","label":[true]}"#, "`label`"),
        (#"{"user":"a","typing":{"field":"p"}}"#, "missing `keys`"),
        (#"{"user":"a","typing":{"field":"p","keys":[{"down":1}]}}"#, "`down` and `up`"),
        // Start like the fast path's exact shape, then leave it: the general path must still judge them.
        (#"{"user":"a","typing":{"field":"p","keys":[{"down":1,"up":2"#, "truncated"),
        (#"{"user":"a","typing":{"field":"p","keys":[{"down":1,"up":"2"}]}}"#, "`typing.keys[0].up`"),
        (#"{"user":"a","typing":{"field":"p","keys":[{"down":01,"up":2}]}}"#, "leading zeros"),
        (#"{"user":"a","time":"yesterday"}"#, "ISO 8601"),
        (#"{"user":"a","time":5}"#, "`time`"),
        (#"{"user":"a"} x"#, "after the event object"),
        (#"{"user":"a","n":01}"#, "leading zeros"),
        (#"{"user":"a","n":1.}"#, "digit"),
        (#"{"user":"a","n":1e999}"#, "out of range"),
        (#"{"user":"a","n":NaN}"#, "number"),
        (#"[1,2]"#, "`{`"),
        ("not json at all", "`{`"),
        ("", "end of line"),
    ])
    func rejectsBadLines(line: String, fragment: String) {
        switch parse(line) {
        case .success(let context): Issue.record("accepted `\(line)` as \(context)")
        case .failure(let failure): #expect(failure.message.contains(fragment), "\(failure.message)")
        }
        #expect(reference(line) == nil, "Foundation accepted `\(line)`")
    }

    @Test func matchesEscapedKeys() throws {
        let line = #"{"us\u0065r":"a","\u0074ime":"2026-01-01T00:00:00Z","g\u0065o":{"l\u0061t":1.5},"x\"y":1}"#
        let parsed = try parse(line).get()
        #expect(parsed.user == "a" && parsed.geo?.lat == 1.5 && parsed.time != nil)
        #expect(parsed == reference(line))
    }

    /// Foundation tolerates a trailing comma; RFC 8259 does not, and neither does replay.
    @Test func refusesTrailingCommas() {
        for line in [#"{"user":"a",}"#, #"{"user":"a","geo":{"lat":1,}}"#, #"{"user":"a","x":[1,]}"#] {
            guard case .failure(let failure) = parse(line) else { Issue.record("accepted `\(line)`"); continue }
            #expect(failure.message.contains("expected"), "\(failure.message)")
        }
    }

    /// A known field given twice is refused (decoders disagree on which value wins); an unknown
    /// key given twice is skipped like any unknown key.
    @Test func refusesAFieldGivenTwice() {
        for (line, key) in [(#"{"user":"first","user":"second"}"#, "user"),
                            (#"{"user":"a","time":"2026-11-20T10:00:00Z","ip":"203.0.113.7","\u0074ime":null}"#, "time"),
                            (#"{"geo":null,"user":"a","geo":{}}"#, "geo")] {
            guard case .failure(let failure) = parse(line) else { Issue.record("accepted `\(line)`"); continue }
            #expect(failure.duplicateKey == key)
            #expect(failure.message == "`\(key)` is given twice")
        }
        guard case .success = parse(#"{"user":"a","x":1,"x":2}"#) else { Issue.record("refused a repeated unknown key"); return }
    }

    @Test func refusesDeepNesting() {
        let deep = #"{"user":"a","x":"# + String(repeating: "[", count: 100) + String(repeating: "]", count: 100) + "}"
        guard case .failure(let failure) = parse(deep) else { Issue.record("accepted deep nesting"); return }
        #expect(failure.message.contains("nesting deeper"))
        let deepSignals = #"{"user":"a","signals":{"s":"# + String(repeating: "{\"a\":", count: 60) + "1" + String(repeating: "}", count: 60) + "}}"
        guard case .failure = parse(deepSignals) else { Issue.record("accepted deep signals"); return }
    }

    @Test func skipsUnknownKeysAndNulls() throws {
        let line = #"{"zzz":{"a":[1,{"b":null}],"c":"\u00e9"},"user":"u","id":null,"geo":null,"device":{"id":"d","extra":[true,false]},"label":{"attack":null,"x":1}}"#
        let parsed = try parse(line).get()
        #expect(parsed == decode(line))
        #expect(parsed.id == nil && parsed.geo == nil && parsed.device?.id == "d" && parsed.label?.attack == nil)
    }

    /// Generates many random lines — valid ones with every field, escapes, nulls, unknown keys and
    /// odd numbers, and broken ones — and requires the parser to agree with `JSONDecoder` on each.
    @Test func agreesWithJSONDecoderOnGeneratedLines() throws {
        var rng = SeededRandom(seed: 20261120)
        var generator = LineGenerator()
        var accepted = 0
        var rejected = 0
        for round in 0..<4000 {
            var line = generator.line(&rng)
            if round % 4 == 3 { line = generator.mutate(line, &rng) }
            let expected = reference(line)
            switch parse(line) {
            case .success(let context):
                #expect(context == expected, "line: \(line)")
                accepted += 1
            case .failure(let failure):
                #expect(expected == nil, "parser rejected a line JSONDecoder accepts: \(failure.message) in \(line)")
                rejected += 1
            }
        }
        #expect(accepted > 2500)
        #expect(rejected > 500)
    }
}

/// Random JSONL events in many spellings, for the cross-check.
struct LineGenerator {
    let stringPieces = ["a", "Z", "09", " ", "-", "\\\"", "\\\\", "\\/", "\\n", "\\t", "\\r", "\\b", "\\f", "\\u00e9", "\\u6771",
                        "\\ud83d\\ude00", "\\u0000", "é", "東京", "😀", "<script>", "&amp;"]
    let numbers = ["0", "-0", "1", "42", "-17", "0.5", "52.52", "13.40", "-0.001", "1e3", "1E-2", "2.5e+2", "123456789012345678",
                   "3.141592653589793", "0.30000000000000004", "1.7976931348623157e308", "5e-324", "12345.678901234567", "100"]

    func string(_ rng: inout SeededRandom) -> String {
        "\"" + (0..<Int.random(in: 0...6, using: &rng)).map { _ in stringPieces.randomElement(using: &rng)! }.joined() + "\""
    }

    func ws(_ rng: inout SeededRandom) -> String { ["", "", "", " ", "  ", "\t", " \r"].randomElement(using: &rng)! }

    func number(_ rng: inout SeededRandom) -> String { numbers.randomElement(using: &rng)! }

    func bool(_ rng: inout SeededRandom) -> String { Bool.random(using: &rng) ? "true" : "false" }

    func maybeNull(_ value: String, _ rng: inout SeededRandom) -> String { Int.random(in: 0..<8, using: &rng) == 0 ? "null" : value }

    func object(_ members: [(String, String)], _ rng: inout SeededRandom) -> String {
        "{" + ws(&rng) + members.shuffled(using: &rng).map { "\"\($0.0)\"" + ws(&rng) + ":" + ws(&rng) + $0.1 }
            .joined(separator: ws(&rng) + "," + ws(&rng)) + ws(&rng) + "}"
    }

    func some(_ members: [(String, String)], _ rng: inout SeededRandom) -> [(String, String)] {
        members.filter { _ in Int.random(in: 0..<4, using: &rng) != 0 }
    }

    func anyValue(_ depth: Int, _ rng: inout SeededRandom) -> String {
        switch Int.random(in: 0..<(depth > 2 ? 4 : 6), using: &rng) {
        case 0: return string(&rng)
        case 1: return number(&rng)
        case 2: return bool(&rng)
        case 3: return "null"
        case 4: return "[" + (0..<Int.random(in: 0...3, using: &rng)).map { _ in anyValue(depth + 1, &rng) }.joined(separator: ",") + "]"
        default: return object((0..<Int.random(in: 0...3, using: &rng)).map { ("k\($0)", anyValue(depth + 1, &rng)) }, &rng)
        }
    }

    mutating func line(_ rng: inout SeededRandom) -> String {
        var members: [(String, String)] = [("user", string(&rng))]
        let seconds = Int.random(in: 1_700_000_000...1_800_000_000, using: &rng)
        let time = Timestamp.format(Date(timeIntervalSince1970: Double(seconds) + [0, 0.25, 0.5].randomElement(using: &rng)!))
        members += some([
            ("id", maybeNull(string(&rng), &rng)),
            ("time", maybeNull("\"\(time)\"", &rng)),
            ("channel", maybeNull(["\"web\"", "\"chat\"", "\"voice\""].randomElement(using: &rng)!, &rng)),
            ("action", maybeNull(string(&rng), &rng)),
            ("ip", maybeNull("\"203.0.113.\(Int.random(in: 0...255, using: &rng))\"", &rng)),
            ("result", maybeNull(["\"success\"", "\"failure\""].randomElement(using: &rng)!, &rng)),
            ("geo", maybeNull(object(some([("country", maybeNull(string(&rng), &rng)), ("lat", maybeNull(number(&rng), &rng)),
                                           ("lon", number(&rng)), ("accuracy_km", number(&rng)), ("asn", number(&rng)),
                                           ("city", string(&rng))], &rng), &rng), &rng)),
            ("device", maybeNull(object(some([("id", string(&rng)), ("user_agent", maybeNull(string(&rng), &rng)),
                                              ("emulator", maybeNull(bool(&rng), &rng)), ("rooted", bool(&rng)),
                                              ("screen", anyValue(1, &rng))], &rng), &rng), &rng)),
            ("typing", object([("field", string(&rng)),
                               ("keys", "[" + (0..<Int.random(in: 0...5, using: &rng)).map { _ in
                                   object([("down", number(&rng)), ("up", number(&rng))] + some([("key", string(&rng))], &rng), &rng)
                               }.joined(separator: ",") + "]")], &rng)),
            ("phone", maybeNull(object(some([("ani", maybeNull(string(&rng), &rng))], &rng), &rng), &rng)),
            ("label", maybeNull(object(some([("attack", maybeNull(bool(&rng), &rng)), ("account_takeover", bool(&rng))], &rng), &rng), &rng)),
            ("signals", maybeNull(object((0..<Int.random(in: 0...3, using: &rng)).map { ("s.\($0)", anyValue(1, &rng)) }, &rng), &rng)),
            ("unknown_\(Int.random(in: 0...9, using: &rng))", anyValue(0, &rng)),
        ], &rng)
        return ws(&rng) + object(members, &rng) + ws(&rng)
    }

    /// Breaks a line in one of several ways: truncation, a wrong type, a stray byte, a bad escape.
    func mutate(_ line: String, _ rng: inout SeededRandom) -> String {
        var bytes = Array(line.utf8)
        switch Int.random(in: 0..<5, using: &rng) {
        case 0:
            // Truncate before the closing brace (never only trailing whitespace).
            guard let close = bytes.lastIndex(of: UInt8(ascii: "}")), close > 1 else { return "{" }
            return String(decoding: bytes[..<Int.random(in: 1..<close, using: &rng)], as: UTF8.self)
        case 1:
            return line.replacingOccurrences(of: "\"user\"", with: "\"user\":7,\"x\"")
        case 2:
            bytes.insert(UInt8(ascii: "@"), at: Int.random(in: 0..<bytes.count, using: &rng))
            return String(decoding: bytes, as: UTF8.self)
        case 3:
            return line.replacingOccurrences(of: "\"rooted\"", with: "\"rooted\":\"yes\",\"r\"")
                .replacingOccurrences(of: "\"lon\"", with: "\"lon\":\"east\",\"l\"")
                .replacingOccurrences(of: "\"user\"", with: "\"user\":\"\\q\",\"u\"")
        default:
            return line.replacingOccurrences(of: "}", with: "},", options: [], range: nil)
        }
    }
}
