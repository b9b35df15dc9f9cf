import RiskGatePolicy

/// Writes compact JSON byte-for-byte as Foundation's `JSONEncoder` does with `.sortedKeys` on Linux.
///
/// Audit records, hand-offs and stored challenges are written once per decision or verification;
/// a fresh `JSONEncoder` costs tens of microseconds for a dozen values, this a fraction of one.
/// The output matches the encoder exactly (tests compare both on random values) so audit columns,
/// docs and stored rows do not change with the switch:
/// - object keys in ascending order of their UTF-8 bytes (swift-foundation's order outside Darwin);
/// - strings escape `"` `\` as `\"` `\\`, U+0008/0C/0A/0D/09 as `\b` `\f` `\n` `\r` `\t`, other
///   control characters as `\u00xx` (lowercase hex), `/` as `\/` unless ``escapesSlashes`` is off,
///   and leave everything else, non-ASCII included, as UTF-8;
/// - numbers as Swift's shortest round-trip `description`, minus a trailing `.0` (`1`, `0.1`, `1e+16`, `-0`).
///
/// Callers writing a struct emit its keys already sorted; ``JSONValue`` objects and dictionaries are sorted here.
package struct CompactJSONWriter: Sendable {
    /// A value JSONEncoder would refuse.
    package enum Failure: Error, Hashable {
        /// NaN or an infinity, which JSON cannot hold.
        case nonFiniteNumber
        /// Containers nested deeper than JSONEncoder's limit of 511.
        case tooDeep
    }

    /// The JSON text written so far, as UTF-8.
    package private(set) var bytes: [UInt8] = []
    /// Write `/` as `\/` (JSONEncoder's default; off for `.withoutEscapingSlashes`).
    package let escapesSlashes: Bool
    private var depth = 0

    /// Same nesting limit as swift-foundation's JSONWriter, so the same values fail.
    private static let maximumDepth = 511

    package init(escapesSlashes: Bool, capacity: Int = 256) {
        self.escapesSlashes = escapesSlashes
        bytes.reserveCapacity(capacity)
    }

    /// The JSON text.
    package var text: String { String(decoding: bytes, as: UTF8.self) }

    // MARK: - Scalars

    package mutating func null() { append("null") }

    package mutating func bool(_ value: Bool) { append(value ? "true" : "false") }

    package mutating func int(_ value: Int) {
        if value < 0 {
            bytes.append(UInt8(ascii: "-"))
            appendDigits(value.magnitude)
        } else {
            appendDigits(UInt(value))
        }
    }

    /// Writes a finite number as JSONEncoder formats a `Double`.
    ///
    /// - Throws: ``Failure/nonFiniteNumber`` for NaN and infinities (JSONEncoder throws too).
    package mutating func number(_ value: Double) throws(Failure) {
        guard value.isFinite else { throw .nonFiniteNumber }
        // Integral values below 2^53 print as "<digits>.0", so the encoder writes just the digits;
        // -0 keeps its sign ("-0.0" minus ".0").
        if value == value.rounded(.towardZero), value.magnitude < 9_007_199_254_740_992, !(value == 0 && value.sign == .minus) {
            int(Int(value))
            return
        }
        if value.magnitude >= 0.001, value.magnitude < 1e9, appendShortDecimal(value) { return }
        let text = value.description
        let utf8 = text.utf8
        if utf8.count > 2, text.hasSuffix(".0") {
            bytes.append(contentsOf: utf8.dropLast(2))
        } else {
            bytes.append(contentsOf: utf8)
        }
    }

    package mutating func string(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        let done: Void? = value.utf8.withContiguousStorageIfAvailable { appendEscaped($0) }
        if done == nil {
            var copy = value
            copy.withUTF8 { appendEscaped($0) }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    // MARK: - Containers

    /// Starts an object; write its members with ``key(_:)`` and a value each, in sorted key order.
    package mutating func beginObject() throws(Failure) { try open(UInt8(ascii: "{")) }

    package mutating func endObject() { close(UInt8(ascii: "}")) }

    /// Writes a member name (and the comma before it when needed).
    package mutating func key(_ name: String) {
        separate(after: UInt8(ascii: "{"))
        string(name)
        bytes.append(UInt8(ascii: ":"))
    }

    package mutating func beginArray() throws(Failure) { try open(UInt8(ascii: "[")) }

    package mutating func endArray() { close(UInt8(ascii: "]")) }

    /// Writes the comma before an array element when needed; call before each element.
    package mutating func element() { separate(after: UInt8(ascii: "[")) }

    // MARK: - Composites

    /// An array with one element per item, each written by `write`.
    package mutating func array<S: Sequence>(_ items: S, _ write: (inout CompactJSONWriter, S.Element) throws(Failure) -> Void) throws(Failure) {
        try beginArray()
        for item in items {
            element()
            try write(&self, item)
        }
        endArray()
    }

    /// An array of objects, each written (keys and values) by `members` between the braces.
    package mutating func objects<S: Sequence>(_ items: S, _ members: (inout CompactJSONWriter, S.Element) throws(Failure) -> Void) throws(Failure) {
        try array(items) { (w: inout CompactJSONWriter, item: S.Element) throws(Failure) in
            try w.beginObject()
            try members(&w, item)
            w.endObject()
        }
    }

    package mutating func strings(_ values: [String]) throws(Failure) {
        try array(values) { (w: inout CompactJSONWriter, value: String) throws(Failure) in w.string(value) }
    }

    package mutating func ints(_ values: [Int]) throws(Failure) {
        try array(values) { (w: inout CompactJSONWriter, value: Int) throws(Failure) in w.int(value) }
    }

    package mutating func bytes(_ values: [UInt8]) throws(Failure) {
        try beginArray()
        for value in values {
            element()
            appendDigits(UInt(value))
        }
        endArray()
    }

    /// Writes a JSON value as `JSONValue.encode(to:)` does: non-finite numbers become `null`.
    package mutating func json(_ value: JSONValue) throws(Failure) {
        switch value {
        case .null: null()
        case .bool(let b): bool(b)
        case .number(let n): if n.isFinite { try number(n) } else { null() }
        case .string(let s): string(s)
        case .array(let items):
            try beginArray()
            for item in items {
                element()
                try json(item)
            }
            endArray()
        case .object(let members): try object(members)
        }
    }

    /// Writes a dictionary of JSON values as an object with sorted keys.
    package mutating func object(_ members: [String: JSONValue]) throws(Failure) {
        try beginObject()
        for (name, value) in CompactJSONWriter.sorted(members) {
            key(name)
            try json(value)
        }
        endObject()
    }

    /// Writes a dictionary of strings as an object with sorted keys.
    package mutating func object(_ members: [String: String]) throws(Failure) {
        try beginObject()
        for (name, value) in CompactJSONWriter.sorted(members) {
            key(name)
            string(value)
        }
        endObject()
    }

    /// Dictionary members in JSONEncoder's `.sortedKeys` order: by UTF-8 bytes.
    static func sorted<Value>(_ members: [String: Value]) -> [(key: String, value: Value)] {
        members.sorted { utf8Precedes($0.key, $1.key) }
    }

    /// `a.utf8.lexicographicallyPrecedes(b.utf8)`, comparing contiguous storage directly when there is some
    /// (the generic view iteration dominated the cost of writing a signal object).
    static func utf8Precedes(_ a: String, _ b: String) -> Bool {
        let fast: Bool?? = a.utf8.withContiguousStorageIfAvailable { x in
            b.utf8.withContiguousStorageIfAvailable { y in
                let n = Swift.min(x.count, y.count)
                var i = 0
                while i < n {
                    if x[i] != y[i] { return x[i] < y[i] }
                    i += 1
                }
                return x.count < y.count
            }
        }
        if let fast, let result = fast { return result }
        return a.utf8.lexicographicallyPrecedes(b.utf8)
    }

    // MARK: - Bytes

    private mutating func open(_ bracket: UInt8) throws(Failure) {
        guard depth < CompactJSONWriter.maximumDepth else { throw .tooDeep }
        depth += 1
        bytes.append(bracket)
    }

    private mutating func close(_ bracket: UInt8) {
        depth -= 1
        bytes.append(bracket)
    }

    /// A comma unless the container was just opened (after a value the last byte is never `{` or `[`).
    private mutating func separate(after opening: UInt8) {
        if bytes.last != opening { bytes.append(UInt8(ascii: ",")) }
    }

    private mutating func append(_ literal: StaticString) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }

    /// Writes `value` as `i.fff` when it has at most six decimals, without formatting through a String.
    ///
    /// The decimal with the fewest digits after the point that converts back to `value` has at most 15
    /// significant digits, and no two such decimals convert to the same `Double` (DBL_DIG is 15), so it is
    /// exactly the shortest round-trip text `description` prints (in plain notation between 1e-3 and 1e9).
    private mutating func appendShortDecimal(_ value: Double) -> Bool {
        let magnitude = value.magnitude
        var scale = 1.0
        var unit: UInt = 1
        for places in 1...6 {
            scale *= 10
            unit *= 10
            let scaled = (magnitude * scale).rounded()
            guard scaled / scale == magnitude else { continue }
            let n = UInt(scaled)
            if value < 0 { bytes.append(UInt8(ascii: "-")) }
            appendDigits(n / unit)
            bytes.append(UInt8(ascii: "."))
            var fraction = n % unit
            var digits: UInt64 = 0
            withUnsafeMutableBytes(of: &digits) { buffer in
                for i in stride(from: places - 1, through: 0, by: -1) {
                    buffer[i] = 0x30 + UInt8(fraction % 10)
                    fraction /= 10
                }
                bytes.append(contentsOf: buffer[..<places])
            }
            return true
        }
        return false
    }

    private mutating func appendDigits(_ value: UInt) {
        guard value >= 10 else {
            bytes.append(0x30 + UInt8(value))
            return
        }
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: UInt.max has 20 digits
        withUnsafeMutableBytes(of: &digits) { buffer in
            var v = value
            var i = buffer.count
            while v > 0 {
                i -= 1
                buffer[i] = 0x30 + UInt8(v % 10)
                v /= 10
            }
            bytes.append(contentsOf: buffer[i...])
        }
    }

    private mutating func appendEscaped(_ utf8: UnsafeBufferPointer<UInt8>) {
        var runStart = 0
        for (i, byte) in utf8.enumerated() {
            let escape: UInt8
            switch byte {
            case UInt8(ascii: "\""): escape = UInt8(ascii: "\"")
            case UInt8(ascii: "\\"): escape = UInt8(ascii: "\\")
            case UInt8(ascii: "/"):
                guard escapesSlashes else { continue }
                escape = UInt8(ascii: "/")
            case 0x08: escape = UInt8(ascii: "b")
            case 0x0C: escape = UInt8(ascii: "f")
            case 0x0A: escape = UInt8(ascii: "n")
            case 0x0D: escape = UInt8(ascii: "r")
            case 0x09: escape = UInt8(ascii: "t")
            case 0x00..<0x20: escape = UInt8(ascii: "u")
            default: continue
            }
            if runStart < i { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<i])) }
            bytes.append(UInt8(ascii: "\\"))
            bytes.append(escape)
            if escape == UInt8(ascii: "u") {
                bytes.append(0x30)
                bytes.append(0x30)
                bytes.append(byte >> 4 == 0 ? 0x30 : 0x31)
                bytes.append(CompactJSONWriter.hex(byte & 0xF))
            }
            runStart = i + 1
        }
        if runStart < utf8.count { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...])) }
    }

    private static func hex(_ nibble: UInt8) -> UInt8 { nibble < 10 ? 0x30 + nibble : 0x57 + nibble }
}
