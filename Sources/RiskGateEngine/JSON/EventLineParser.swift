import Foundation
import RiskGatePolicy

/// Turns one JSONL line into a ``RequestContext`` straight from its bytes (docs/http-api.md shape).
///
/// Accepts exactly what `JSONDecoder` accepts for `RequestContext` (the cross-check test holds
/// it to that): unknown keys are skipped at any level, `null` means absent for optional fields,
/// wrong types are errors. Replay additionally needs `time`; the caller checks for it.
package enum EventLineParser {
    /// Parses `line`; also returns `time` as epoch seconds (NaN when absent) so callers need not convert back.
    package static func parse(_ line: UnsafeRawBufferPointer, maxDepth: Int = 32) throws(JSONScanner.Failure) -> (context: RequestContext, seconds: Double) {
        let parsed = try parseNotingUnknownKeys(line, maxDepth: maxDepth)
        return (parsed.context, parsed.seconds)
    }

    /// A request read from a body or a file (the service's `POST /v1/decisions`, `riskgate
    /// decide`): like ``parseNotingUnknownKeys(_:maxDepth:)``, with a failure turned into a
    /// ``JSONBodyError`` that names its field or says the text is not JSON.
    package static func parseRequest(_ bytes: UnsafeRawBufferPointer, maxDepth: Int = 32) throws(JSONBodyError)
        -> (context: RequestContext, skippedUnknownKeys: Bool)
    {
        do throws(JSONScanner.Failure) {
            let parsed = try parseNotingUnknownKeys(bytes, maxDepth: maxDepth)
            return (parsed.context, parsed.skippedUnknownKeys)
        } catch {
            throw JSONBodyError(error, in: bytes, maxDepth: maxDepth)
        }
    }

    /// Like ``parse(_:maxDepth:)``, also telling whether a key was skipped as unknown, at the top
    /// level or inside `geo`, `device`, `typing` (and its keys), `phone` or `label` (`signals` is free-form).
    package static func parseNotingUnknownKeys(_ line: UnsafeRawBufferPointer, maxDepth: Int = 32) throws(JSONScanner.Failure)
        -> (context: RequestContext, seconds: Double, skippedUnknownKeys: Bool)
    {
        var s = JSONScanner(line, maxDepth: maxDepth)
        var context = RequestContext(user: "")
        var seconds = Double.nan
        var sawUser = false
        try s.beginObject()
        var first = true
        // Known fields seen so far, a bit each: one given twice is refused, since JSON decoders
        // disagree on which value wins (replay and the service must read the same user).
        var seen: UInt16 = 0
        while let key = try s.nextMember(first: &first) {
            let which = field(of: key, in: s)
            if which != .other {
                let bit: UInt16 = 1 << which.rawValue
                guard seen & bit == 0 else {
                    let name = s.string(of: key)
                    throw JSONScanner.Failure(message: "`\(name)` is given twice", column: s.position, duplicateKey: name, field: name)
                }
                seen |= bit
            }
            switch which {
            case .user:
                guard !s.consumeNull() else { throw s.failure("`user` must be a string, found null", field: "user") }
                context.user = try typed("user") { () throws(JSONScanner.Failure) in try s.readString() }
                sawUser = true
            case .time:
                if s.consumeNull() { context.time = nil; seconds = .nan; continue }
                let column = s.position + 1
                let parsed = try typed("time") { () throws(JSONScanner.Failure) in
                    try s.withStringBytes { bytes in
                        Timestamp.epochSeconds(utf8: bytes).map { ($0, "") }
                            ?? (.nan, String(decoding: bytes.prefix(64), as: UTF8.self))
                    }
                }
                guard !parsed.0.isNaN else {
                    throw JSONScanner.Failure(message: "`time` is not an ISO 8601 timestamp: `\(parsed.1)`", column: column, field: "time")
                }
                seconds = parsed.0
                context.time = Date(timeIntervalSince1970: seconds)
            case .id:
                context.id = try optionalString(&s, "id")
            case .channel:
                context.channel = try optionalString(&s, "channel")
            case .action:
                context.action = try optionalString(&s, "action")
            case .ip:
                context.ip = try optionalString(&s, "ip")
            case .result:
                context.result = try optionalString(&s, "result")
            case .geo:
                context.geo = try s.consumeNull() ? nil : parseGeo(&s)
            case .device:
                context.device = try s.consumeNull() ? nil : parseDevice(&s)
            case .typing:
                context.typing = try s.consumeNull() ? nil : parseTyping(&s)
            case .phone:
                context.phone = try s.consumeNull() ? nil : parsePhone(&s)
            case .label:
                context.label = try s.consumeNull() ? nil : parseLabel(&s)
            case .signals:
                context.signals = try s.consumeNull() ? nil : parseSignals(&s)
            case .other:
                try s.skipUnknownMember(depth: 1)
            }
        }
        guard s.atEnd() else { throw s.failure("unexpected text after the event object") }
        guard sawUser else { throw JSONScanner.Failure(message: "missing `user`", column: 1, field: "user", missing: true) }
        return (context, seconds, s.unknownMembers > 0)
    }

    private enum Field: Int {
        case id, time, user, channel, action, ip, geo, device, typing, phone, result, label, signals, other
    }

    /// Which top-level field a key names: one length switch, then at most four short compares.
    @inline(__always)
    private static func field(of key: JSONScanner.Key, in s: JSONScanner) -> Field {
        let length = key.isEscaped ? s.string(of: key).utf8.count : key.rawCount
        switch length {
        case 2: return s.key(key, is: "id") ? .id : s.key(key, is: "ip") ? .ip : .other
        case 3: return s.key(key, is: "geo") ? .geo : .other
        case 4: return s.key(key, is: "user") ? .user : s.key(key, is: "time") ? .time : .other
        case 5: return s.key(key, is: "label") ? .label : s.key(key, is: "phone") ? .phone : .other
        case 6:
            if s.key(key, is: "device") { return .device }
            if s.key(key, is: "action") { return .action }
            if s.key(key, is: "typing") { return .typing }
            return s.key(key, is: "result") ? .result : .other
        case 7: return s.key(key, is: "channel") ? .channel : s.key(key, is: "signals") ? .signals : .other
        default: return .other
        }
    }

    /// Runs `read`, renaming a type failure so it names the field (built only on failure).
    @inline(__always)
    private static func typed<T>(_ field: @autoclosure () -> String, _ read: () throws(JSONScanner.Failure) -> T) throws(JSONScanner.Failure) -> T {
        do {
            return try read()
        } catch {
            if error.message.hasPrefix("expected ") {
                let name = field()
                throw JSONScanner.Failure(message: "`\(name)`: \(error.message)", column: error.column, field: name,
                                          expected: error.expected)
            }
            throw error
        }
    }

    @inline(__always)
    private static func optionalString(_ s: inout JSONScanner, _ field: String) throws(JSONScanner.Failure) -> String? {
        if s.consumeNull() { return nil }
        return try typed(field) { () throws(JSONScanner.Failure) in try s.readString() }
    }

    private static func optionalNumber(_ s: inout JSONScanner, _ field: String) throws(JSONScanner.Failure) -> Double? {
        if s.consumeNull() { return nil }
        return try typed(field) { () throws(JSONScanner.Failure) in try s.readNumber() }
    }

    private static func optionalBool(_ s: inout JSONScanner, _ field: String) throws(JSONScanner.Failure) -> Bool? {
        if s.consumeNull() { return nil }
        return try typed(field) { () throws(JSONScanner.Failure) in try s.readBool() }
    }

    private static func object(_ s: inout JSONScanner, _ field: @autoclosure () -> String) throws(JSONScanner.Failure) {
        try typed(field()) { () throws(JSONScanner.Failure) in try s.beginObject() }
    }

    private static func parseGeo(_ s: inout JSONScanner) throws(JSONScanner.Failure) -> RequestContext.Geo {
        try object(&s, "geo")
        var geo = RequestContext.Geo()
        var first = true
        while let key = try s.nextMember(first: &first) {
            if s.key(key, is: "country") { geo.country = try optionalString(&s, "geo.country") }
            else if s.key(key, is: "lat") { geo.lat = try optionalNumber(&s, "geo.lat") }
            else if s.key(key, is: "lon") { geo.lon = try optionalNumber(&s, "geo.lon") }
            else if s.key(key, is: "accuracy_km") { geo.accuracyKm = try optionalNumber(&s, "geo.accuracy_km") }
            else if s.key(key, is: "asn") { geo.asn = try optionalNumber(&s, "geo.asn") }
            else { try s.skipUnknownMember(depth: 2) }
        }
        return geo
    }

    private static func parseDevice(_ s: inout JSONScanner) throws(JSONScanner.Failure) -> RequestContext.Device {
        try object(&s, "device")
        var device = RequestContext.Device()
        var first = true
        while let key = try s.nextMember(first: &first) {
            if s.key(key, is: "id") { device.id = try optionalString(&s, "device.id") }
            else if s.key(key, is: "user_agent") { device.userAgent = try optionalString(&s, "device.user_agent") }
            else if s.key(key, is: "emulator") { device.emulator = try optionalBool(&s, "device.emulator") }
            else if s.key(key, is: "rooted") { device.rooted = try optionalBool(&s, "device.rooted") }
            else { try s.skipUnknownMember(depth: 2) }
        }
        return device
    }

    private static func parsePhone(_ s: inout JSONScanner) throws(JSONScanner.Failure) -> RequestContext.Phone {
        try object(&s, "phone")
        var phone = RequestContext.Phone()
        var first = true
        while let key = try s.nextMember(first: &first) {
            if s.key(key, is: "ani") { phone.ani = try optionalString(&s, "phone.ani") } else { try s.skipUnknownMember(depth: 2) }
        }
        return phone
    }

    private static func parseLabel(_ s: inout JSONScanner) throws(JSONScanner.Failure) -> RequestContext.Label {
        try object(&s, "label")
        var label = RequestContext.Label()
        var first = true
        while let key = try s.nextMember(first: &first) {
            if s.key(key, is: "attack") { label.attack = try optionalBool(&s, "label.attack") }
            else if s.key(key, is: "account_takeover") { label.accountTakeover = try optionalBool(&s, "label.account_takeover") }
            else { try s.skipUnknownMember(depth: 2) }
        }
        return label
    }

    private static func parseTyping(_ s: inout JSONScanner) throws(JSONScanner.Failure) -> RequestContext.Typing {
        try object(&s, "typing")
        var field: String?
        var keys: [RequestContext.Typing.Key]?
        var first = true
        while let key = try s.nextMember(first: &first) {
            if s.key(key, is: "field") {
                guard !s.consumeNull() else { throw s.failure("`typing.field` must be a string, found null", field: "typing.field") }
                field = try typed("typing.field") { () throws(JSONScanner.Failure) in try s.readString() }
            } else if s.key(key, is: "keys") {
                guard !s.consumeNull() else { throw s.failure("`typing.keys` must be an array, found null", field: "typing.keys") }
                try typed("typing.keys") { () throws(JSONScanner.Failure) in try s.beginArray() }
                var list: [RequestContext.Typing.Key] = []
                // Room for a typical password's keys: growing from empty copied the list four times.
                list.reserveCapacity(16)
                var firstElement = true
                while try s.nextElement(first: &firstElement) { list.append(try parseKey(&s, index: list.count)) }
                keys = list
            } else {
                try s.skipUnknownMember(depth: 2)
            }
        }
        guard let field else { throw s.failure("`typing` is missing `field`", field: "typing.field", missing: true) }
        guard let keys else { throw s.failure("`typing` is missing `keys`", field: "typing.keys", missing: true) }
        return RequestContext.Typing(field: field, keys: keys)
    }

    private static func parseKey(_ s: inout JSONScanner, index: Int) throws(JSONScanner.Failure) -> RequestContext.Typing.Key {
        // Nearly every entry is `{"down":N,"up":N}` exactly (ten or so per event): read that shape
        // straight. Anything else (spaces, other key order, extra keys, errors) is read again from
        // the same place by the general path, which accepts and rejects what it always did.
        let mark = s.position
        if s.consumeLiteral("{\"down\":"), let down = try? s.readNumber(), s.consumeLiteral(",\"up\":"),
           let up = try? s.readNumber(), s.consumeLiteral("}") {
            return RequestContext.Typing.Key(down: down, up: up)
        }
        s.rewind(to: mark)
        try object(&s, "typing.keys[\(index)]")
        var down: Double?
        var up: Double?
        var first = true
        while let key = try s.nextMember(first: &first) {
            if s.key(key, is: "down") { down = try typed("typing.keys[\(index)].down") { () throws(JSONScanner.Failure) in try s.readNumber() } }
            else if s.key(key, is: "up") { up = try typed("typing.keys[\(index)].up") { () throws(JSONScanner.Failure) in try s.readNumber() } }
            else { try s.skipUnknownMember(depth: 4) }
        }
        guard let down else { throw s.failure("`typing.keys[\(index)]` needs `down` and `up`", field: "typing.keys[\(index)].down", missing: true) }
        guard let up else { throw s.failure("`typing.keys[\(index)]` needs `down` and `up`", field: "typing.keys[\(index)].up", missing: true) }
        return RequestContext.Typing.Key(down: down, up: up)
    }

    private static func parseSignals(_ s: inout JSONScanner) throws(JSONScanner.Failure) -> [String: JSONValue] {
        try object(&s, "signals")
        var signals: [String: JSONValue] = [:]
        var first = true
        while let key = try s.nextMember(first: &first) {
            signals[s.string(of: key)] = try s.readValue(depth: 2)
        }
        return signals
    }
}
