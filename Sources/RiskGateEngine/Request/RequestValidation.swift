import RiskGatePolicy

/// A request value that its JSON type allows but docs/http-api.md does not: an empty `user`, an `ip` that
/// is not an address, a `result` other than `success` or `failure`, a latitude off the globe, a
/// `signals` entry naming no signal (or one the engine computes) or of the wrong type.
public struct RequestProblem: Error, Sendable, Hashable, CustomStringConvertible {
    /// The offending field as a JSON path: `ip`, `geo.lat`, `typing.keys[3]`.
    public var field: String
    /// What is wrong, naming the field; never echoes the value (it may be personal data).
    public var message: String
    public var description: String { message }
}

extension RequestContext {
    /// Longest `user`, in UTF-8 bytes.
    public static let maxUserBytes = UserID.maxBytes
    /// Largest `geo.accuracy_km`: about half the Earth's circumference, a radius that covers it all.
    public static let maxAccuracyKm = 20_000.0

    /// Checks what the JSON types do not: sizes, ranges and forms, and puts `user` in its one
    /// form (``UserID/canonical(_:)``).
    ///
    /// The service answers such a request with 400 and replay reports its line as bad, so both
    /// refuse the same requests. Without this, a typo such as `"result": "fail"` would count as a
    /// successful password and a mangled `ip` would silently switch off every IP signal; and two
    /// spellings of one id (NFC and NFD) would be two accounts, one overwriting the other.
    public mutating func validate() throws(RequestProblem) {
        func problem(_ field: String, _ message: String) -> RequestProblem {
            RequestProblem(field: field, message: message)
        }
        do {
            user = try UserID.canonical(user)
        } catch {
            throw problem("user", "`user` \(error.message)")
        }
        if let id = device?.id, Self.hasControlCharacter(id) {
            throw problem("device.id", "`device.id` must not contain control characters")
        }
        if let ip, IPAddress(ip) == nil {
            throw problem("ip", "`ip` is not an IPv4 or IPv6 address")
        }
        if let result, result != "success", result != "failure" {
            throw problem("result", "`result` must be `success` or `failure`")
        }
        if let geo {
            if let lat = geo.lat, !(lat.isFinite && (-90...90).contains(lat)) {
                throw problem("geo.lat", "`geo.lat` must be between -90 and 90")
            }
            if let lon = geo.lon, !(lon.isFinite && (-180...180).contains(lon)) {
                throw problem("geo.lon", "`geo.lon` must be between -180 and 180")
            }
            // Travel subtracts both radii from the distance: a radius past half the globe would
            // switch `geo.impossible_travel` off for any pair of places.
            if let accuracy = geo.accuracyKm, !(accuracy.isFinite && (0...Self.maxAccuracyKm).contains(accuracy)) {
                throw problem("geo.accuracy_km", "`geo.accuracy_km` must be between 0 and \(Int(Self.maxAccuracyKm))")
            }
        }
        if let overrides = signals {
            for name in overrides.keys.sorted() {
                if case .failure(let bad) = SignalComputer.override(name, overrides[name]!) {
                    let field = "signals.\(name.prefix(64))"
                    throw problem(field, "`\(field)`: \(bad.message)")
                }
            }
        }
        if let typing {
            for (i, key) in typing.keys.enumerated() where !(key.down.isFinite && key.up.isFinite && key.up >= key.down) {
                throw problem("typing.keys[\(i)]", "`typing.keys[\(i)]` must have finite `down` <= `up`")
            }
        }
    }

    /// Whether `text` has a character that would let one id pass for another where it is shown or
    /// cut: a C0 control (NUL to U+001F), DEL, a C1 control (U+0080 to U+009F), the line or
    /// paragraph separator (U+2028, U+2029), or a bidirectional embedding, override or isolate
    /// (U+202A to U+202E, U+2066 to U+2069), which can show `evil` as `live`.
    public static func hasControlCharacter(_ text: String) -> Bool {
        hasControlCharacter(utf8: text.utf8)
    }

    /// ``hasControlCharacter(_:)`` over UTF-8 bytes, for text not yet made a `String`.
    public static func hasControlCharacter<Bytes: Collection<UInt8>>(utf8 bytes: Bytes) -> Bool {
        var i = bytes.startIndex
        while i != bytes.endIndex {
            let lead = bytes[i]
            i = bytes.index(after: i)
            if isControlByte(lead) { return true }
            guard lead == 0xC2 || lead == 0xE2, i != bytes.endIndex else { continue }
            let second = bytes[i]
            if lead == 0xC2 {
                if (0x80...0x9F).contains(second) { return true }  // U+0080 to U+009F
                continue
            }
            let j = bytes.index(after: i)
            guard j != bytes.endIndex else { continue }
            let third = bytes[j]
            if second == 0x80, (0xA8...0xAE).contains(third) { return true }  // U+2028 to U+202E
            if second == 0x81, (0xA6...0xA9).contains(third) { return true }  // U+2066 to U+2069
        }
        return false
    }

    /// Whether a UTF-8 byte is a C0 control character or DEL (never part of a longer character).
    public static func isControlByte(_ byte: UInt8) -> Bool { byte < 0x20 || byte == 0x7F }
}
