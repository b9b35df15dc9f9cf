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
func foundationJSON<T: Encodable>(_ value: T, escapingSlashes: Bool) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = escapingSlashes ? [.sortedKeys] : [.sortedKeys, .withoutEscapingSlashes]
    guard let data = try? encoder.encode(value) else { return "null" }
    return String(decoding: data, as: UTF8.self)
}

@Suite struct CompactJSONWriterTests {
    func written(escapingSlashes: Bool, _ body: (inout CompactJSONWriter) throws(CompactJSONWriter.Failure) -> Void) -> String {
        var w = CompactJSONWriter(escapesSlashes: escapingSlashes)
        do { try body(&w) } catch { return "null" }
        return w.text
    }

    @Test func knownOutput() {
        let signals: [String: JSONValue] = ["b": .number(1), "a/b": .string("x/\"y\"\n\u{1}é"), "A": .bool(true),
                                            "c": .array([.null, .number(-0.0), .number(0.1), .number(1e21)])]
        #expect(AuditRecord.compactJSON(signals) == #"{"A":true,"a/b":"x/\"y\"\n\u0001é","b":1,"c":[null,-0,0.1,1e+21]}"#)
        #expect(written(escapingSlashes: true) { w throws(CompactJSONWriter.Failure) in try w.object(signals) }
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
            #expect(written(escapingSlashes: false) { w throws(CompactJSONWriter.Failure) in try w.number(n) }
                    == foundationJSON(n, escapingSlashes: false), "\(n)")
        }
        for n in [Int.min, Int.min + 1, -1, 0, 9, 10, 99, 100, Int.max] {
            #expect(written(escapingSlashes: false) { $0.int(n) } == foundationJSON(n, escapingSlashes: false))
        }
    }

    @Test func nonFiniteNumbers() {
        for n in [Double.nan, .infinity, -.infinity] {
            #expect(written(escapingSlashes: false) { w throws(CompactJSONWriter.Failure) in try w.number(n) } == "null")
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
            #expect(written(escapingSlashes: true) { w throws(CompactJSONWriter.Failure) in try w.object(signals) }
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

@Suite struct CompactJSONKeyOrderTests {
    @Test func utf8OrderMatchesTheGenericComparison() {
        var fuzz = JSONFuzz(seed: 4)
        let keys = (0..<300).map { _ in fuzz.key() } + ["", "a", "ab", "é", "e\u{301}", "\u{FFFF}", "🙂"]
        for a in keys {
            for b in keys.prefix(60) {
                #expect(CompactJSONWriter.utf8Precedes(a, b) == a.utf8.lexicographicallyPrecedes(b.utf8))
            }
        }
        // A bridged-looking substring copy takes the same path as any other string.
        #expect(CompactJSONWriter.utf8Precedes(String("xab".dropFirst()), "ac"))
    }
}
