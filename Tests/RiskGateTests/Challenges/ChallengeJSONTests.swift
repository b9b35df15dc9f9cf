import Foundation
import Testing
@testable import RiskGateEngine
@testable import RiskGatePolicy

@Suite struct ChallengeJSONTests {
    /// Dates in whole milliseconds since 2001, as stored challenge times are after a round trip.
    func date(_ fuzz: inout JSONFuzz) -> Date {
        Date(timeIntervalSinceReferenceDate: Double(fuzz.int(0...2_000_000_000_000)) / 1000)
    }

    func optional<T>(_ fuzz: inout JSONFuzz, _ make: (inout JSONFuzz) -> T) -> T? {
        fuzz.chance(0.6) ? make(&fuzz) : nil
    }

    func context(_ fuzz: inout JSONFuzz) -> HandOffContext {
        HandOffContext(channel: optional(&fuzz) { $0.string() }, score: fuzz.double(),
                       rules: (0..<fuzz.int(0...4)).map { _ in fuzz.string() },
                       contributions: (0..<fuzz.int(0...3)).map { _ in fuzz.string() },
                       signals: fuzz.signals(count: fuzz.int(0...8)), policyHash: "sha256:" + fuzz.string())
    }

    func request(_ fuzz: inout JSONFuzz, wholeSeconds: Bool) -> RequestContext {
        var r = RequestContext(user: fuzz.string())
        r.id = optional(&fuzz) { $0.string() }
        r.time = optional(&fuzz) { f in
            Date(timeIntervalSince1970: wholeSeconds ? Double(f.int(0...4_000_000_000)) : Double(f.int(0...4_000_000_000_000)) / 1000)
        }
        r.channel = optional(&fuzz) { $0.string() }
        r.action = optional(&fuzz) { $0.string() }
        r.ip = optional(&fuzz) { $0.string() }
        r.geo = optional(&fuzz) { f in
            RequestContext.Geo(country: optional(&f) { $0.string() }, lat: optional(&f) { $0.double() },
                               lon: optional(&f) { $0.double() }, accuracyKm: optional(&f) { $0.double() },
                               asn: optional(&f) { $0.double() })
        }
        r.device = optional(&fuzz) { f in
            RequestContext.Device(id: optional(&f) { $0.string() }, userAgent: optional(&f) { $0.string(maxLength: 40) },
                                  emulator: optional(&f) { $0.chance(0.5) }, rooted: optional(&f) { $0.chance(0.5) })
        }
        r.typing = optional(&fuzz) { f in
            RequestContext.Typing(field: f.string(), keys: (0..<f.int(0...6)).map { _ in .init(down: f.double(), up: f.double()) })
        }
        r.phone = optional(&fuzz) { f in RequestContext.Phone(ani: optional(&f) { $0.string() }) }
        r.result = optional(&fuzz) { $0.string() }
        r.label = optional(&fuzz) { f in
            RequestContext.Label(attack: optional(&f) { $0.chance(0.5) }, accountTakeover: optional(&f) { $0.chance(0.5) })
        }
        r.signals = optional(&fuzz) { f in f.signals(count: f.int(0...5)) }
        return r
    }

    func challenge(_ fuzz: inout JSONFuzz, wholeSeconds: Bool) -> Challenge {
        let steps = (0..<fuzz.int(0...4)).map { _ in
            var step = ChallengeStep(kind: ChallengeStep.Kind.allCases[fuzz.int(0...(ChallengeStep.Kind.allCases.count - 1))],
                                     maxAttempts: fuzz.int(0...10))
            step.attempts = fuzz.int(0...10)
            step.passed = fuzz.chance(0.5)
            step.salt = optional(&fuzz) { f in (0..<16).map { _ in UInt8(f.int(0...255)) } }
            step.codeHash = optional(&fuzz) { f in (0..<32).map { _ in UInt8(f.int(0...255)) } }
            step.channel = optional(&fuzz) { $0.string() }
            step.expires = optional(&fuzz, date)
            step.questions = optional(&fuzz) { f in (0..<f.int(0...3)).map { _ in f.int(0...9) } }
            step.answered = fuzz.int(0...3)
            step.positions = optional(&fuzz) { f in (0..<f.int(0...3)).map { _ in f.int(1...20) } }
            step.delay = optional(&fuzz) { $0.double() }
            step.delayUntil = optional(&fuzz, date)
            step.device = optional(&fuzz) { $0.string() }
            step.nonce = optional(&fuzz) { $0.string() }
            step.number = optional(&fuzz) { $0.int(10...99) }
            return step
        }
        return Challenge(id: "ch-" + fuzz.string(), user: fuzz.string(), decisionID: fuzz.string(), created: date(&fuzz),
                         outcome: Outcome.allCases[fuzz.int(0...4)], steps: steps, currentStep: fuzz.int(0...4),
                         state: [.open, .passed, .failed, .expired][fuzz.int(0...3)],
                         onFailure: optional(&fuzz) { Outcome.allCases[$0.int(0...4)] },
                         lockout: Lockout.Settings(window: fuzz.double(), threshold: fuzz.int(0...10), duration: fuzz.double(),
                                                   bansAfter: fuzz.int(0...5)),
                         requestChannel: optional(&fuzz) { $0.string() }, context: context(&fuzz), revision: fuzz.int(0...1000),
                         pendingLogin: optional(&fuzz) { request(&$0, wholeSeconds: wholeSeconds) })
    }

    /// The bytes the SQLite store's `JSONEncoder` (`.sortedKeys`) writes.
    @Test func encodedJSONMatchesStoreEncoder() throws {
        var fuzz = JSONFuzz(seed: 21)
        for _ in 0..<400 {
            let c = challenge(&fuzz, wholeSeconds: false)
            #expect(try c.encodedJSON() == foundationJSON(c, escapingSlashes: true))
        }
    }

    /// The stores read challenges back with the core's JSON reader, to an equal value.
    @Test func encodedJSONReadsBackToAnEqualChallenge() throws {
        var fuzz = JSONFuzz(seed: 22)
        for _ in 0..<400 {
            let c = challenge(&fuzz, wholeSeconds: true)
            let text = try c.encodedJSON()
            #expect(try Challenge(json: text) == c)
            #expect(try Challenge(json: text) == JSONDecoder().decode(Challenge.self, from: Data(text.utf8)))
        }
    }

    /// A damaged record is refused with the member that is wrong, never read as something else.
    @Test func damagedRecordsNameTheirMember() throws {
        var fuzz = JSONFuzz(seed: 24)
        let text = try challenge(&fuzz, wholeSeconds: true).encodedJSON()
        let cases: [(String, String?)] = [
            (text.replacingOccurrences(of: #""revision":"#, with: #""revisions":"#), "revision"),
            (text.replacingOccurrences(of: #""state":""#, with: #""state":"x"#), "state"),
            (text.replacingOccurrences(of: #""current_step":"#, with: #""current_step":"1","x":"#), "current_step"),
            (String(text.dropLast()), nil),
            ("[]", nil),
        ]
        for (damaged, field) in cases {
            #expect(throws: JSONBodyError.self) { try Challenge(json: damaged) }
            do { _ = try Challenge(json: damaged) } catch { #expect(error.field == field, "\(error)") }
        }
    }

    @Test func nonFiniteNumberThrows() {
        var fuzz = JSONFuzz(seed: 23)
        var c = challenge(&fuzz, wholeSeconds: true)
        c.context.score = .nan
        #expect(throws: JSONWriter.Failure.nonFiniteNumber) { try c.encodedJSON() }
    }

    /// The agent hand-off body, as the `JSONEncoder` with ISO 8601 text dates wrote it.
    @Test func handOffMatchesJSONEncoder() {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, enc in
            var c = enc.singleValueContainer()
            try c.encode(Timestamp.format(date))
        }
        var fuzz = JSONFuzz(seed: 24)
        for _ in 0..<400 {
            let h = HandOff(user: fuzz.string(), decisionID: fuzz.string(), challengeID: optional(&fuzz) { $0.string() },
                            created: Date(timeIntervalSince1970: Double(fuzz.int(0...4_000_000_000_000)) / 1000),
                            context: context(&fuzz), stepsPassed: (0..<fuzz.int(0...3)).map { _ in fuzz.string() },
                            reason: fuzz.string())
            let expected = (try? encoder.encode(h)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
            #expect(h.compactJSON() == expected)
        }
    }
}
