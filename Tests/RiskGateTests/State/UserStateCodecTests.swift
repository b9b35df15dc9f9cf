import Foundation
import Testing
@testable import RiskGateEngine
@testable import RiskGatePolicy

@Suite("UserStateCodec")
struct UserStateCodecTests {
    /// A random state touching every part of the format: both IP families, nil and set optionals,
    /// whole and fractional numbers, typing templates, model counts and a full profile.
    static func randomState(_ g: inout SeededRandom) -> UserState {
        func maybe<T>(_ value: @autoclosure () -> T) -> T? { Bool.random(using: &g) ? value() : nil }
        func date() -> Date { Date(timeIntervalSince1970: Double.random(in: 1.6e9...1.9e9, using: &g)) }
        func bytes(_ n: Int) -> [UInt8] { (0..<n).map { _ in UInt8.random(in: 0...255, using: &g) } }
        func text(_ n: Int) -> String {
            let alphabet = Array("abcXYZ09-_.äöü€🙂 ")
            return String((0..<n).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &g)] })
        }
        var s = UserState()
        if Bool.random(using: &g) {
            s.profile.known = true
            s.profile.homeCountry = maybe("DE")
            s.profile.phone = maybe("+4915112345678")
            s.profile.email = maybe(text(20))
            s.profile.createdAt = maybe(date())
            s.profile.kba = (0..<Int.random(in: 0...3, using: &g)).map { _ in
                // Drawn as the generator always drew them, so the states of every test stay the same.
                KBAAnswer(question: text(12), keyID: bytes(16).hexString, hash: "$argon2id$" + bytes(32).hexString)
            }
            let pieces = (0..<Int.random(in: 0...8, using: &g)).map { _ in bytes(16) + bytes(32) }
            s.profile.partialSecret = pieces.isEmpty ? nil : SealedSecret(keyID: "k\(pieces.count)", box: pieces.flatMap { $0 })
            s.profile.trustedDevices = (0..<Int.random(in: 0...2, using: &g)).map { _ in text(14) }
        }
        let agents = ["Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
                      "RiskGateDemoBank/5.10.1 (moto g(60); Android 12)", "", text(40)]
        let devices = ["d-8c44b50d6824", "d-1", text(30)]
        for _ in 0..<Int.random(in: 0...20, using: &g) {
            let ip: IPAddress? = switch Int.random(in: 0..<3, using: &g) {
            case 0: IPAddress(v4: UInt32.random(in: 0...UInt32.max, using: &g))
            case 1: IPAddress(v6High: UInt64.random(in: 0...UInt64.max, using: &g), low: UInt64.random(in: 0...UInt64.max, using: &g))
            default: nil
            }
            let asn: Double? = maybe(Bool.random(using: &g) ? Double(Int.random(in: 0...400_000, using: &g)) : Double.random(in: -1e12...1e12, using: &g))
            s.logins.append(LoginRecord(
                time: date(), ip: ip, country: maybe("NO"), asn: asn,
                lat: maybe([69.6458, -0.0, Double.random(in: -90...90, using: &g)][Int.random(in: 0..<3, using: &g)]),
                lon: maybe([18.9595, Double.random(in: -180...180, using: &g)][Int.random(in: 0..<2, using: &g)]),
                accuracyKm: maybe([10, 50, 0.5, -0.0, 1e300, -7][Int.random(in: 0..<6, using: &g)]),
                anonymous: Bool.random(using: &g), userAgent: maybe(agents[Int.random(in: 0..<agents.count, using: &g)]),
                deviceId: maybe(devices[Int.random(in: 0..<devices.count, using: &g)])))
        }
        for i in 0..<Int.random(in: 0...4, using: &g) {
            s.devices.append(DeviceRecord(id: devices[i % devices.count], firstSeen: date(), lastSeen: date(),
                                          count: Int.random(in: -3...1_000_000, using: &g)))
        }
        for field in ["password", "pin", text(5)].prefix(Int.random(in: 0...3, using: &g)) {
            let length = Int.random(in: 1...16, using: &g)
            var t = TypingTemplate(field: field, length: length)
            for _ in 0..<Int.random(in: 0...70, using: &g) {
                let whole = Bool.random(using: &g)
                let features = (0..<TypingFeatures.count(keys: length)).map { _ in
                    whole ? Double(Int.random(in: -300...900, using: &g)) : Double.random(in: -300...900, using: &g)
                }
                t.learn(features)
            }
            s.typing.append(t)
        }
        s.failures = (0..<Int.random(in: 0...5, using: &g)).map { _ in date() }
        s.lockedUntil = maybe(date())
        s.lockouts = Int.random(in: 0...9, using: &g)
        // Derived, not drawn: the generator's sequence (and so every other test's states) stays as it was.
        s.familiarFailures = s.failures.reversed().map { $0.addingTimeInterval(0.5) }
        s.familiarLockedUntil = s.lockedUntil.map { $0.addingTimeInterval(60) }
        s.familiarLockouts = s.lockouts / 3
        s.banned = Bool.random(using: &g)
        for _ in 0..<Int.random(in: 0...40, using: &g) {
            let ip = IPAddress(v4: UInt32.random(in: 0...40, using: &g))
            s.model.record(LoginFeatures(ip: ip, asn: Double(Int.random(in: 1...20, using: &g)), country: ["DE", "NO", "US"][Int.random(in: 0..<3, using: &g)],
                                         userAgent: agents[Int.random(in: 0..<agents.count, using: &g)]))
        }
        return s
    }

    @Test("random states round-trip exactly, through a reused buffer too")
    func roundTrip() throws {
        var g = SeededRandom(seed: 7)
        var buffer: [UInt8] = []
        // Smaller than most states, so encoding into it grows it (and the grown buffer is reused).
        let scratch = EncodingScratch(capacity: 64)
        for _ in 0..<300 {
            let state = Self.randomState(&g)
            let bytes = UserStateCodec.encode(state)
            #expect(bytes.first == UserStateCodec.version)
            #expect(UserStateCodec.withEncoded(state, scratch: scratch) { Array($0) } == bytes)
            let decoded = try UserStateCodec.decode(bytes)
            #expect(decoded == state)
            UserStateCodec.encode(decoded, into: &buffer)
            #expect(buffer == bytes)
            for (a, b) in zip(decoded.logins, state.logins) {
                #expect(a.accuracyKm?.bitPattern == b.accuracyKm?.bitPattern)
                #expect(a.ip?.isV4 == b.ip?.isV4)
            }
        }
    }

    @Test("strings are referred back by their bytes; past the writer's table they are written again")
    func stringReferences() throws {
        let agent = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)"
        // Equal as Swift strings (canonically equivalent), different bytes: each keeps its own.
        let composed = "caf\u{E9}", decomposed = "cafe\u{301}"
        #expect(composed == decomposed)
        var state = UserState()
        let time = Date(timeIntervalSince1970: 1.8e9)
        for i in 0..<40 {
            state.logins.append(LoginRecord(time: time, country: "NO", userAgent: agent, deviceId: "device-\(i)"))
        }
        // Device ids 0...29 were among the writer's first 32 strings (with the country and the agent);
        // 30...39 were not, and are written in full again.
        for i in [3, 29, 30, 39] {
            state.logins.append(LoginRecord(time: time, country: "NO", userAgent: agent, deviceId: "device-\(i)"))
        }
        state.logins.append(LoginRecord(time: time, userAgent: composed, deviceId: decomposed))
        let bytes = UserStateCodec.encode(state)
        let decoded = try UserStateCodec.decode(bytes)
        #expect(decoded == state)
        for (a, b) in zip(decoded.logins, state.logins) {
            #expect(a.userAgent.map { Array($0.utf8) } == b.userAgent.map { Array($0.utf8) })
            #expect(a.deviceId.map { Array($0.utf8) } == b.deviceId.map { Array($0.utf8) })
        }
        func occurrences(_ text: String) -> Int {
            let needle = Array(text.utf8)
            return (0...(bytes.count - needle.count)).filter { Array(bytes[$0..<($0 + needle.count)]) == needle }.count
        }
        #expect(occurrences(agent) == 1)
        #expect(occurrences("device-29") == 1)
        #expect(occurrences("device-30") == 2)
        #expect(occurrences(decomposed) == 1)
    }

    @Test("an empty state round-trips and is small")
    func emptyState() throws {
        let bytes = UserStateCodec.encode(UserState())
        #expect(bytes.count < 24)
        #expect(try UserStateCodec.decode(bytes) == UserState())
    }

    @Test("every truncation of a valid encoding throws")
    func truncated() throws {
        var g = SeededRandom(seed: 11)
        for _ in 0..<6 {
            let bytes = UserStateCodec.encode(Self.randomState(&g))
            for end in 0..<bytes.count {
                #expect(throws: UserStateCodec.DecodingError.self) { try UserStateCodec.decode(Array(bytes[..<end])) }
            }
            #expect(throws: UserStateCodec.DecodingError.self) { try UserStateCodec.decode(bytes + [0]) }
        }
    }

    @Test("another version is refused", arguments: [0, 1, 2, 4, 99, 255] as [UInt8])
    func version(_ other: UInt8) {
        var bytes = UserStateCodec.encode(UserState())
        #expect(bytes[0] == 3)
        bytes[0] = other
        #expect(throws: UserStateCodec.DecodingError.unsupportedVersion(other)) { try UserStateCodec.decode(bytes) }
    }

    @Test("random and mutated bytes throw or decode, never crash")
    func corrupt() {
        var g = SeededRandom(seed: 3)
        var decodedSome = 0
        for round in 0..<3_000 {
            var bytes: [UInt8]
            if round % 2 == 0 {
                bytes = (0..<Int.random(in: 0...200, using: &g)).map { _ in UInt8.random(in: 0...255, using: &g) }
                if !bytes.isEmpty { bytes[0] = UserStateCodec.version }
            } else {
                bytes = UserStateCodec.encode(Self.randomState(&g))
                for _ in 0..<Int.random(in: 1...4, using: &g) {
                    bytes[Int.random(in: 1..<bytes.count, using: &g)] = UInt8.random(in: 0...255, using: &g)
                }
            }
            if let state = try? UserStateCodec.decode(bytes) {
                decodedSome += 1
                // Whatever decodes is a consistent state that encodes again.
                #expect((try? UserStateCodec.decode(UserStateCodec.encode(state))) == state)
            }
        }
        #expect(decodedSome < 3_000)
    }

    /// States written by `riskgate` (the `state` fuzz seeds: a replay of the sample events and
    /// accounts with KBA answers, a sealed secret and failures) are in the one format: each decodes
    /// and encodes again to exactly its bytes, so stored states keep loading and do not drift.
    @Test("states written in the format decode and encode again to the same bytes")
    func storedBytesAreStable() throws {
        let seeds = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fuzz/Corpus/state/seeds")
        let names = try FileManager.default.contentsOfDirectory(atPath: seeds.path).filter { $0.hasSuffix(".bin") }.sorted()
        #expect(names.count > 10)
        var typing = 0
        for name in names {
            let bytes = try [UInt8](Data(contentsOf: seeds.appendingPathComponent(name)))
            let state = try UserStateCodec.decode(bytes)
            #expect(UserStateCodec.encode(state) == bytes, "\(name)")
            typing += state.typing.count
        }
        #expect(typing > 0, "the seeds must hold typing templates, or their rings go untested")
    }

    @Test("a typing ring whose slots or order are corrupt is refused")
    func corruptRing() throws {
        var template = TypingTemplate(field: "pin", length: 1)
        for value in [30.0, 10, 20] { template.learn([value]) }
        var state = UserState()
        state.typing = [template]
        let bytes = UserStateCodec.encode(state)
        // The samples ring: 3 rows, head 0, sorted deltas 10, 10, 10 (zigzag << 1: 40, 40, 40),
        // slots 1, 2, 0 packed two a byte, low nibble first (0x21, then 0x00).
        let ring: [UInt8] = [3, 0, 40, 40, 40, 0x21, 0x00]
        let at = try #require((0...(bytes.count - ring.count)).first { Array(bytes[$0..<($0 + ring.count)]) == ring })
        var repeated = bytes
        repeated[at + 5] = 0x11  // slot 1 twice
        #expect(throws: UserStateCodec.DecodingError.self) { try UserStateCodec.decode(repeated) }
        var outOfRange = bytes
        outOfRange[at + 6] = 3
        #expect(throws: UserStateCodec.DecodingError.self) { try UserStateCodec.decode(outOfRange) }
        var padding = bytes
        padding[at + 6] = 0x10  // the unused high nibble of an odd last slot must be zero
        #expect(throws: UserStateCodec.DecodingError.self) { try UserStateCodec.decode(padding) }
        var descending = bytes
        descending[at + 3] = 38  // a difference of −10: values out of order
        #expect(throws: UserStateCodec.DecodingError.self) { try UserStateCodec.decode(descending) }
        #expect(try UserStateCodec.decode(bytes) == state)
    }

    @Test("ring columns round-trip whatever the size of their differences and wherever a non-whole value sits")
    func ringColumnSizes() throws {
        // One- and two-byte differences (the decoder's fast path), longer ones, a negative first
        // value, a huge whole value and non-whole values (the general path), in several mixes.
        let columns: [[Double]] = [
            [120, 95, 130, 131, 95],
            [-5_000, 3, 8_000, 8_001],
            [70_000, 1, 2],
            [1_099_511_627_776, 5, -7],
            [100, 12.5, 101, 99],
            [-0.0, 0, 4, 4.25],
        ]
        for column in columns {
            var template = TypingTemplate(field: "pin", length: 1)
            for value in column {
                let learned = template.learn([value])
                #expect(learned)
            }
            var state = UserState()
            state.typing = [template]
            let decoded = try UserStateCodec.decode(UserStateCodec.encode(state))
            #expect(decoded == state)
            #expect(decoded.typing.first?.samples.map { $0[0].bitPattern } == column.map(\.bitPattern))
        }
    }

    @Test("a typing template with samples that do not match its length is refused")
    func badTemplate() throws {
        var state = UserState()
        var template = TypingTemplate(field: "password", length: 3)
        for i in 0..<5 { template.learn([Double](repeating: Double(100 + i), count: 7)) }
        state.typing = [template]
        var bytes = UserStateCodec.encode(state)
        // The length is the zigzag varint after the field name; 3 → 6, make it 4 → 8.
        let at = try #require(bytes.firstIndex(of: 6))
        bytes[at] = 8
        #expect(throws: UserStateCodec.DecodingError.self) { try UserStateCodec.decode(bytes) }
    }
}
