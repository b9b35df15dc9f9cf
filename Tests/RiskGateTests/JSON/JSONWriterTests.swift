import Foundation
import Testing
@testable import RiskGate
@testable import RiskGateEngine
@testable import RiskGatePolicy

/// Random values for comparing the hand-written JSON with `JSONEncoder`.
struct JSONFuzz {
    var generator: SeededRandom

    init(seed: UInt64) { generator = SeededRandom(seed: seed) }

    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &generator) }
    mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &generator) < p }

    /// Characters that stress escaping: quotes, backslashes, slashes, every control character, DEL,
    /// Latin, CJK, an emoji, a combining mark and the JavaScript line separators.
    static let pieces: [String] = ["\"", "\\", "/", "\u{7F}", "é", "日本", "🙂", "e\u{301}", "\u{2028}", "\u{2029}", "\u{FEFF}",
                                   "a", "Z", "0", " ", "_", ".", "-", "ip.country", "http://x/y"]
        + (0..<0x20).map { String(UnicodeScalar(UInt8($0))) }

    mutating func string(maxLength: Int = 12) -> String {
        var s = ""
        for _ in 0..<int(0...maxLength) {
            if chance(0.5) {
                s += String(UnicodeScalar(UInt8(int(0x20...0x7E))))
            } else {
                s += JSONFuzz.pieces[int(0...(JSONFuzz.pieces.count - 1))]
            }
        }
        return s
    }

    mutating func double() -> Double {
        switch int(0...10) {
        case 0: return Double(int(-1_000_000...1_000_000))
        case 1: return [0.0, -0.0, 0.1, 0.2, 1.5, -2.5, 1e21, 1e22, 1e-7, Double.leastNonzeroMagnitude, 1e15, 1e16, 1e17, 123456789012345680.0,
                        9_007_199_254_740_992, 9_007_199_254_740_991, -9_007_199_254_740_994, 4.35, 37.5,
                        Double.greatestFiniteMagnitude, Double.leastNormalMagnitude][int(0...20)]
        case 2: return Double(int(-1_000_000...1_000_000)) / 1000
        case 3: return Double.random(in: -1...1, using: &generator) * pow(10, Double(int(-30...30)))
        case 4: return Double(Int64.random(in: .min ... .max, using: &generator))
        case 5: return Double(int(0...(1 << 20))) * pow(2, Double(int(40...70)))
        case 6: return Double(int(-100_000_000...100_000_000)) / pow(10, Double(int(1...8)))
        default:
            // Any finite bit pattern.
            while true {
                let d = Double(bitPattern: UInt64.random(in: .min ... .max, using: &generator))
                if d.isFinite { return d }
            }
        }
    }

    mutating func json(depth: Int = 0) -> JSONValue {
        switch int(0...(depth < 3 ? 6 : 4)) {
        case 0: return .null
        case 1: return .bool(chance(0.5))
        case 2, 3: return .number(double())
        case 4: return .string(string())
        case 5: return .array((0..<int(0...4)).map { _ in json(depth: depth + 1) })
        default: return .object(signals(count: int(0...4), depth: depth + 1))
        }
    }

    /// Keys share prefixes and differ in case so the sort order is exercised.
    mutating func key() -> String {
        let stems = ["a", "A", "b", "ab", "a_b", "a.b", "ip", "ip.country", "IP", "é", "z", "Z", "_", "10", "9", "ß", "日"]
        return stems[int(0...(stems.count - 1))] + (chance(0.5) ? string(maxLength: 3) : "")
    }

    mutating func signals(count: Int, depth: Int = 0) -> [String: JSONValue] {
        var out: [String: JSONValue] = [:]
        for _ in 0..<count { out[key()] = json(depth: depth) }
        return out
    }
}

/// What `JSONEncoder` writes for `value`, or `null` when it refuses.
func foundationJSON<T: Encodable>(_ value: T, escapingSlashes: Bool, pretty: Bool = false) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = escapingSlashes ? [.sortedKeys] : [.sortedKeys, .withoutEscapingSlashes]
    if pretty { encoder.outputFormatting.insert(.prettyPrinted) }
    guard let data = try? encoder.encode(value) else { return "null" }
    return String(decoding: data, as: UTF8.self)
}

@Suite struct JSONWriterTests {
    func written(escapingSlashes: Bool, pretty: Bool = false, _ body: (inout JSONWriter) throws(JSONWriter.Failure) -> Void) -> String {
        var w = JSONWriter(escapesSlashes: escapingSlashes, pretty: pretty)
        do { try body(&w) } catch { return "null" }
        return w.text
    }

    @Test func knownOutput() {
        let signals: [String: JSONValue] = ["b": .number(1), "a/b": .string("x/\"y\"\n\u{1}é"), "A": .bool(true),
                                            "c": .array([.null, .number(-0.0), .number(0.1), .number(1e21)])]
        #expect(AuditRecord.compactJSON(signals) == #"{"A":true,"a/b":"x/\"y\"\n\u0001é","b":1,"c":[null,-0,0.1,1e+21]}"#)
        #expect(written(escapingSlashes: true) { w throws(JSONWriter.Failure) in try w.object(signals) }
                == #"{"A":true,"a\/b":"x\/\"y\"\n\u0001é","b":1,"c":[null,-0,0.1,1e+21]}"#)
        #expect(AuditRecord.compactJSON([]) == "[]")
        #expect(AuditRecord.compactJSON([String: JSONValue]()) == "{}")
    }

    @Test func stringsMatchJSONEncoder() {
        var fuzz = JSONFuzz(seed: 1)
        var strings = JSONFuzz.pieces + [""]
        for _ in 0..<2000 { strings.append(fuzz.string(maxLength: 20)) }
        for s in strings {
            for slashes in [false, true] {
                #expect(written(escapingSlashes: slashes) { $0.string(s) } == foundationJSON(s, escapingSlashes: slashes),
                        "\(s.debugDescription)")
            }
        }
    }

    @Test func numbersMatchJSONEncoder() {
        var fuzz = JSONFuzz(seed: 2)
        var numbers: [Double] = []
        for _ in 0..<20_000 { numbers.append(fuzz.double()) }
        for n in numbers {
            #expect(written(escapingSlashes: false) { w throws(JSONWriter.Failure) in try w.number(n) }
                    == foundationJSON(n, escapingSlashes: false), "\(n)")
        }
        for n in [Int.min, Int.min + 1, -1, 0, 9, 10, 99, 100, Int.max] {
            #expect(written(escapingSlashes: false) { $0.int(n) } == foundationJSON(n, escapingSlashes: false))
        }
    }

    @Test func nonFiniteNumbers() {
        for n in [Double.nan, .infinity, -.infinity] {
            #expect(written(escapingSlashes: false) { w throws(JSONWriter.Failure) in try w.number(n) } == "null")
            #expect(foundationJSON(n, escapingSlashes: false) == "null")
            // JSONValue writes them as null, as its Encodable conformance does.
            #expect(AuditRecord.compactJSON(["x": .number(n)]) == foundationJSON(["x": JSONValue.number(n)], escapingSlashes: false))
        }
    }

    @Test func signalObjectsMatchJSONEncoder() {
        var fuzz = JSONFuzz(seed: 3)
        for _ in 0..<1500 {
            let signals = fuzz.signals(count: fuzz.int(0...12))
            #expect(AuditRecord.compactJSON(signals) == foundationJSON(signals, escapingSlashes: false))
            #expect(written(escapingSlashes: true) { w throws(JSONWriter.Failure) in try w.object(signals) }
                    == foundationJSON(signals, escapingSlashes: true))
            let rules = (0..<fuzz.int(0...6)).map { _ in fuzz.string() }
            #expect(AuditRecord.compactJSON(rules) == foundationJSON(rules, escapingSlashes: false))
            var body: [String: String] = [:]
            for _ in 0..<fuzz.int(0...4) { body[fuzz.key()] = fuzz.string() }
            #expect(AuditRecord.compactJSON(body) == foundationJSON(body, escapingSlashes: false))
        }
    }

    /// Nesting beyond JSONEncoder's limit fails in both, just below it succeeds in both.
    @Test(arguments: [508, 509, 510, 511, 600])
    func nestingLimit(depth: Int) {
        var value = JSONValue.number(1)
        for _ in 0..<depth { value = .array([value]) }
        let signals = ["deep": value]
        #expect(AuditRecord.compactJSON(signals) == foundationJSON(signals, escapingSlashes: false))
    }
}

@Suite struct JSONWriterKeyOrderTests {
    @Test func utf8OrderMatchesTheGenericComparison() {
        var fuzz = JSONFuzz(seed: 4)
        let keys = (0..<300).map { _ in fuzz.key() } + ["", "a", "ab", "é", "e\u{301}", "\u{FFFF}", "🙂"]
        for a in keys {
            for b in keys.prefix(60) {
                #expect(JSONWriter.utf8Precedes(a, b) == a.utf8.lexicographicallyPrecedes(b.utf8))
            }
        }
        // A bridged-looking substring copy takes the same path as any other string.
        #expect(JSONWriter.utf8Precedes(String("xab".dropFirst()), "ac"))
    }
}

/// The pretty form users see from `riskgate graph`, `check --format json` and the CLI's reports,
/// pinned byte for byte: two spaces a level, `"key" : value`, empty containers as a blank line
/// between their brackets, slashes as they are.
@Suite struct JSONWriterPrettyTests {
    @Test func goldenShape() throws {
        let value: JSONValue = .object([
            "b": .array([.number(1), .string("x/y"), .array([]), .object([:])]),
            "a": .object(["z": .null, "y": .bool(false)]),
            "c": .number(0.25),
        ])
        var w = JSONWriter(escapesSlashes: false, pretty: true)
        try w.json(value)
        #expect(w.text == """
            {
              "a" : {
                "y" : false,
                "z" : null
              },
              "b" : [
                1,
                "x/y",
                [

                ],
                {

                }
              ],
              "c" : 0.25
            }
            """)
        var empty = JSONWriter(escapesSlashes: false, pretty: true)
        try empty.json(.array([]))
        #expect(empty.text == "[\n\n]")
    }

    @Test func matchesJSONEncoder() throws {
        var fuzz = JSONFuzz(seed: 5)
        for _ in 0..<500 {
            let value = JSONValue.object(fuzz.signals(count: fuzz.int(0...6)))
            for slashes in [false, true] {
                var w = JSONWriter(escapesSlashes: slashes, pretty: true)
                do { try w.json(value) } catch { continue }
                #expect(w.text == foundationJSON(value, escapingSlashes: slashes, pretty: true))
            }
        }
    }
}

/// Values written through `Encodable` give JSONEncoder's bytes, compact and pretty.
@Suite struct JSONWriterEncodableTests {
    struct Inner: Codable, Equatable {
        var x: Int?
        var y: [String: Double]
        var z: [Int]
    }

    struct Sample: Codable {
        var a: [Int] = []
        var b: [String: Int] = [:]
        var c = "x/y\t\u{1}é\u{8}\u{c}\"\\"
        var d = 1e-5
        var e: Int? = nil
        var f: [[Int]] = [[1, 2], []]
        var g = Date(timeIntervalSinceReferenceDate: 1.5)
        var h: Float = 0.1
        var i = Inner(x: nil, y: ["b": 0.25, "a": -3, "é": 1e300], z: [1])
        var j: [Inner] = [Inner(x: 7, y: [:], z: [])]
        var k: UInt64 = .max
        var l: Int8 = -5
        var m: [Int: String] = [3: "c", 10: "a"]
        var n = URL(string: "http://x/y")!
        var o: Bool? = true
        var p: Float = 3
        var q: JSONValue = .object(["k": .array([.number(1.5), .null])])
    }

    static func foundation<T: Encodable>(_ value: T, pretty: Bool, slashes: Bool, dates: Bool) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        if pretty { encoder.outputFormatting.insert(.prettyPrinted) }
        if !slashes { encoder.outputFormatting.insert(.withoutEscapingSlashes) }
        if dates {
            encoder.dateEncodingStrategy = .custom { date, encoder in
                var container = encoder.singleValueContainer()
                try container.encode(Timestamp.format(date))
            }
        }
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func written<T: Encodable>(_ value: T, pretty: Bool, slashes: Bool, dates: Bool) throws -> String {
        String(decoding: try JSONWriter.encode(value, pretty: pretty, escapesSlashes: slashes,
                                               formattingDates: dates ? { Timestamp.format($0) } : nil), as: UTF8.self)
    }

    func check<T: Encodable>(_ value: T, sourceLocation: SourceLocation = #_sourceLocation) throws {
        for pretty in [false, true] {
            for slashes in [false, true] {
                for dates in [false, true] {
                    #expect(try Self.written(value, pretty: pretty, slashes: slashes, dates: dates)
                            == Self.foundation(value, pretty: pretty, slashes: slashes, dates: dates),
                            "pretty \(pretty), slashes escaped \(slashes), dates as text \(dates)", sourceLocation: sourceLocation)
                }
            }
        }
    }

    @Test func structsCollectionsAndScalars() throws {
        try check(Sample())
        try check([Sample(), Sample()])
        try check([Int]())
        try check(["k": [String: Int]()])
        try check(Optional<Int>.none)
        try check("top/level")
        try check(Date(timeIntervalSince1970: 1_700_000_000.25))
    }

    @Test func diagnosticsAndRandomJSON() throws {
        var fuzz = JSONFuzz(seed: 6)
        for _ in 0..<200 {
            let value = JSONValue.object(fuzz.signals(count: fuzz.int(0...5)))
            var finite = true
            do { _ = try JSONWriter.encode(value) } catch { finite = false }
            if finite { try check(value) }
        }
    }

    @Test func nonFiniteNumbersThrow() {
        #expect(throws: JSONWriter.Failure.nonFiniteNumber) { try JSONWriter.encode([Double.nan]) }
    }
}

/// The event streams' spelling: every control character as `\u00xx`, slashes as they are, invalid
/// UTF-8 replaced, fixed decimals.
@Suite struct JSONWriterEventFormTests {
    @Test func escapesAndNumbers() {
        var w = JSONWriter(escapesSlashes: false, shortEscapes: [])
        w.string("a\tb\n/\u{1f}\"")
        w.byte(UInt8(ascii: " "))
        w.fixed(12.34500, decimals: 4)
        w.byte(UInt8(ascii: " "))
        w.fixed(0.00001, decimals: 5)
        w.byte(UInt8(ascii: " "))
        w.fixed(-3, decimals: 2)
        w.byte(UInt8(ascii: " "))
        w.fixed(.nan, decimals: 2)
        #expect(w.text == #""a\u0009b\u000a/\u001f\"" 12.345 0.00001 -3 null"#)
    }

    @Test func invalidUTF8BecomesReplacementCharacters() {
        let bytes: [UInt8] = [0x61, 0xFF, 0xC3, 0xA9, 0xED, 0xA0, 0x80, 0xF0, 0x9F, 0x99, 0x82]
        var w = JSONWriter(escapesSlashes: false)
        bytes.withUnsafeBytes { w.string(utf8: $0) }
        #expect(w.text == "\"a\u{FFFD}é\u{FFFD}\u{FFFD}\u{FFFD}🙂\"")
    }

    @Test func truncateDropsAHalfWrittenValue() throws {
        var w = JSONWriter(escapesSlashes: false, capacity: 16)
        w.raw("{\"a\":1}\n")
        let mark = w.count
        w.string(String(repeating: "x", count: 100))
        w.truncate(to: mark)
        #expect(w.text == "{\"a\":1}\n")
    }
}
