import Foundation
import Testing
@testable import RiskGate

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
                KBAAnswer(question: text(12), salt: bytes(16), hash: bytes(32))
            }
            s.profile.partialSecret = (0..<Int.random(in: 0...8, using: &g)).map { _ in
                SecretCharacterHash(salt: bytes(16), hash: bytes(32))
            }
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
        for _ in 0..<300 {
            let state = Self.randomState(&g)
            let bytes = UserStateCodec.encode(state)
            #expect(bytes.first == UserStateCodec.version)
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

    @Test("another version is refused")
    func version() {
        var bytes = UserStateCodec.encode(UserState())
        bytes[0] = 99
        #expect(throws: UserStateCodec.DecodingError.unsupportedVersion(99)) { try UserStateCodec.decode(bytes) }
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
