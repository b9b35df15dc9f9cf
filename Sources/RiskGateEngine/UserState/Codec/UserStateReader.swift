import Foundation
import RiskGatePolicy

/// Reads one record, checking every length against the bytes left and every part as the JSON
/// decoding of ``UserState`` checks it: the bytes are untrusted (a file, a fuzzer), so anything
/// malformed throws ``UserStateCodec/DecodingError`` and nothing traps.
struct UserStateReader {
    let raw: UnsafeRawBufferPointer
    var offset = 0
    /// Strings read so far in this record, for back-references.
    var strings: [String] = []

    init(raw: UnsafeRawBufferPointer) {
        self.raw = raw
        // A record has a few strings (country, user agent, device id, typing field): one allocation.
        strings.reserveCapacity(8)
    }

    var remaining: Int { raw.count - offset }

    @inline(__always)
    mutating func byte() throws(UserStateCodec.DecodingError) -> UInt8 {
        guard offset < raw.count else { throw .truncated(offset: offset) }
        defer { offset += 1 }
        return raw[offset]
    }

    @inline(__always)
    mutating func varint() throws(UserStateCodec.DecodingError) -> UInt64 {
        // Fast paths: a one-byte varint (most counts, flags and small numbers), a two-byte one.
        if offset + 1 < raw.count, let (value, length) = Self.shortVarint(at: raw.baseAddress! + offset) {
            offset += length
            return value
        } else if offset < raw.count, raw[offset] < 0x80 {
            offset += 1
            return UInt64(raw[offset - 1])
        }
        return try longVarint()
    }

    /// The varint of one or two bytes at `bytes` (both must be readable) and its length; `nil`
    /// when it is longer.
    @inline(__always)
    static func shortVarint(at bytes: UnsafeRawPointer) -> (value: UInt64, length: Int)? {
        let first = UInt64(bytes.load(as: UInt8.self))
        if first < 0x80 { return (first, 1) }
        let second = UInt64(bytes.load(fromByteOffset: 1, as: UInt8.self))
        guard second < 0x80 else { return nil }
        return ((first & 0x7f) | second << 7, 2)
    }

    mutating func longVarint() throws(UserStateCodec.DecodingError) -> UInt64 {
        let start = offset
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = try byte()
            guard shift < 64, shift < 63 || b <= 1 else { throw .invalid("varint", offset: start) }
            value |= UInt64(b & 0x7f) << shift
            if b < 0x80 { return value }
            shift += 7
        }
    }

    /// A count of items each at least `minimumSize` bytes long, so it can never exceed what is left.
    mutating func count(minimumSize: Int = 1) throws(UserStateCodec.DecodingError) -> Int {
        let start = offset
        let v = try varint()
        guard v <= UInt64(remaining / max(1, minimumSize)) else { throw .invalid("count", offset: start) }
        return Int(v)
    }

    mutating func signed() throws(UserStateCodec.DecodingError) -> Int {
        Int(UserStateCodec.unzigzag(try varint()))
    }

    mutating func fixed64() throws(UserStateCodec.DecodingError) -> UInt64 {
        guard remaining >= 8 else { throw .truncated(offset: offset) }
        let v = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
        offset += 8
        return v
    }

    mutating func double() throws(UserStateCodec.DecodingError) -> Double { Double(bitPattern: try fixed64()) }

    mutating func date() throws(UserStateCodec.DecodingError) -> Date {
        Date(timeIntervalSinceReferenceDate: try double())
    }

    mutating func flag() throws(UserStateCodec.DecodingError) -> Bool {
        switch try byte() {
        case 0: return false
        case 1: return true
        default: throw .invalid("presence flag", offset: offset - 1)
        }
    }

    mutating func optionalDate() throws(UserStateCodec.DecodingError) -> Date? {
        try flag() ? try date() : nil
    }

    /// A number written by `UserStateWriter.number(_:)`.
    mutating func number() throws(UserStateCodec.DecodingError) -> Double {
        let start = offset
        let v = try varint()
        if v == 1 { return try double() }
        guard v & 1 == 0 else { throw .invalid("number", offset: start) }
        return Double(UserStateCodec.unzigzag(v >> 1))
    }

    mutating func string() throws(UserStateCodec.DecodingError) -> String {
        let start = offset
        let v = try varint()
        if v & 1 == 1 {
            let index = v >> 1
            guard index < UInt64(strings.count) else { throw .invalid("string reference", offset: start) }
            return strings[Int(index)]
        }
        let length = v >> 1
        guard length <= UInt64(remaining) else { throw .truncated(offset: start) }
        guard length > 0, let base = raw.baseAddress else { return "" }
        let bytes = UnsafeBufferPointer(start: (base + offset).assumingMemoryBound(to: UInt8.self), count: Int(length))
        // ASCII (nearly every string here) is valid UTF-8 as it is: `String(decoding:)` takes it
        // without the generic validation (~1 % of a replay); anything else is validated.
        let s: String
        if UserStateReader.isASCII(bytes) {
            s = String(decoding: bytes, as: UTF8.self)
        } else {
            guard let valid = String(validating: bytes, as: UTF8.self) else { throw .invalid("UTF-8 string", offset: start) }
            s = valid
        }
        offset += Int(length)
        strings.append(s)
        return s
    }

    /// Whether every byte is below 0x80 (eight at a time).
    static func isASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let start = bytes.baseAddress else { return true }
        let raw = UnsafeRawPointer(start)
        var i = 0
        var high: UInt64 = 0
        while i + 8 <= bytes.count {
            high |= raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            i += 8
        }
        while i < bytes.count {
            high |= UInt64(bytes[i])
            i += 1
        }
        return high & 0x8080_8080_8080_8080 == 0
    }

    mutating func optionalString() throws(UserStateCodec.DecodingError) -> String? {
        try flag() ? try string() : nil
    }

    mutating func blob() throws(UserStateCodec.DecodingError) -> [UInt8] {
        let n = try count()
        defer { offset += n }
        return Array(raw[offset..<(offset + n)])
    }

    mutating func profile() throws(UserStateCodec.DecodingError) -> AccountProfile {
        var p = AccountProfile()
        p.known = try flag()
        p.homeCountry = try optionalString()
        p.phone = try optionalString()
        p.email = try optionalString()
        p.createdAt = try optionalDate()
        let answers = try count(minimumSize: 3)
        for _ in 0..<answers {
            p.kba.append(KBAAnswer(question: try string(), keyID: try string(), hash: try string()))
        }
        let flagsOffset = offset
        let flags = try byte()
        guard flags <= 3 else { throw .invalid("profile flags", offset: flagsOffset) }
        if flags & 1 != 0 {
            p.partialSecret = SealedSecret(keyID: try string(), box: try blob())
        }
        let trusted = try count()
        for _ in 0..<trusted { p.trustedDevices.append(try string()) }
        if flags & 2 != 0 {
            let id = try string()
            let keyOffset = offset
            let key = try blob()
            guard key.count == Ed25519.publicKeyLength else { throw .invalid("push device key", offset: keyOffset) }
            p.pushDevice = PushDevice(id: id, publicKey: key)
        }
        return p
    }

    /// The previous login's coordinates, for ``login()``.
    private var lastPosition: (lat: Double, lon: Double)?

    mutating func login() throws(UserStateCodec.DecodingError) -> LoginRecord {
        let start = offset
        let flags = try varint()
        guard flags < 0x1000, flags & 0x03 != 0x03 else { throw .invalid("login flags", offset: start) }
        let repeatsPosition = flags & 0x400 != 0
        guard !repeatsPosition || (flags & 0x30 == 0x30 && lastPosition != nil) else {
            throw .invalid("login position reference", offset: start)
        }
        // Fields read into locals and the record built once: filling a `var` record and
        // returning it copied the record (a retain and release of each of its strings).
        let time = try date()
        var ip: IPAddress?
        if flags & 0x01 != 0 {
            guard remaining >= 4 else { throw .truncated(offset: offset) }
            var v: UInt32 = 0
            for i in (0..<4).reversed() { v = v << 8 | UInt32(raw[offset + i]) }
            offset += 4
            ip = IPAddress(v4: v)
        } else if flags & 0x02 != 0 {
            ip = IPAddress(v6High: try fixed64(), low: try fixed64())
        }
        let country = flags & 0x04 != 0 ? try string() : nil
        let asn = flags & 0x08 != 0 ? try number() : nil
        var lat: Double?
        var lon: Double?
        if let last = lastPosition, repeatsPosition {
            lat = last.lat
            lon = last.lon
        } else {
            if flags & 0x10 != 0 { lat = try double() }
            if flags & 0x20 != 0 { lon = try double() }
        }
        if let lat, let lon { lastPosition = (lat, lon) } else { lastPosition = nil }
        let accuracy = flags & 0x40 != 0 ? try number() : nil
        let userAgent = flags & 0x100 != 0 ? try string() : nil
        let deviceId = flags & 0x200 != 0 ? try string() : nil
        return LoginRecord(time: time, ip: ip, country: country, asn: asn, lat: lat, lon: lon, accuracyKm: accuracy,
                           anonymous: flags & 0x80 != 0, userAgent: userAgent, deviceId: deviceId,
                           isLogin: flags & 0x800 == 0)
    }

    mutating func template() throws(UserStateCodec.DecodingError) -> TypingTemplate {
        let start = offset
        let field = try string()
        let length = try signed()
        let learned = try signed()
        guard (1...TypingFeatures.maxKeys).contains(length) else { throw .invalid("typing template length", offset: start) }
        let samples = try ring(width: TypingFeatures.count(keys: length))
        let scores = try ring(width: 1)
        guard let template = TypingTemplate(field: field, length: length, count: learned, ring: samples, scores: scores) else {
            throw .invalid("typing template", offset: start)
        }
        return template
    }

    mutating func model() throws(UserStateCodec.DecodingError) -> UserModelCounts {
        let start = offset
        let total = try signed()
        let n = try count(minimumSize: 12)
        var entries: [UserModelCounts.Entry] = []
        entries.reserveCapacity(n)
        for _ in 0..<n {
            let key = try fixed64()
            let back = try varint()
            let parent: UInt64
            if back == 0 {
                parent = try fixed64()
            } else {
                guard back <= UInt64(entries.count) else { throw .invalid("model parent reference", offset: start) }
                parent = entries[entries.count - Int(back)].key
            }
            let count = try varint(), last = try varint()
            guard count <= UInt64(UInt32.max), last <= UInt64(UInt32.max) else { throw .invalid("model entry", offset: start) }
            entries.append(UserModelCounts.Entry(key: key, parent: parent, count: UInt32(count), last: UInt32(last), level: try byte()))
        }
        guard let model = UserModelCounts(total: total, entries: entries) else { throw .invalid("model counts", offset: start) }
        return model
    }
}
