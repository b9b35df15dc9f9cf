/// The one JSON writer of the package: compact or pretty text, byte-for-byte as Foundation's
/// `JSONEncoder` writes it with `.sortedKeys` on Linux, streamed into a growable byte buffer.
///
/// It lives in `RiskGatePolicy`, the bottom module, rather than beside the reader in `RiskGate`,
/// because the policy's own renderers (``GraphRenderer``, ``DiagnosticRenderer``) print JSON too;
/// from here the engine, the stores, replay, the service, the CLI and the webhook client all reach it.
/// Decisions, audit records, stored challenges and rows, hand-offs, the event streams of `generate`
/// and `import`, log lines, HTTP bodies and the CLI's JSON all go through it, so string escaping and
/// number formatting exist once.
///
/// Foundation's encoder costs tens of microseconds for a dozen values and allocates per field; this
/// writes into one buffer it owns (a few hundred thousand events a second for the generator). The
/// output matches the encoder exactly (tests compare both on random values), so audit columns (hashed),
/// stored rows, fuzz seeds and what users see do not change:
/// - object keys in ascending order of their UTF-8 bytes (swift-foundation's `.sortedKeys` order
///   outside Darwin); callers writing a struct emit its keys already sorted, ``JSONValue`` objects and
///   dictionaries are sorted here;
/// - strings escape `"` `\` as `\"` `\\`, U+0008/0C/0A/0D/09 as `\b` `\f` `\n` `\r` `\t`, other control
///   characters as `\u00xx` (lowercase hex), `/` as `\/` unless ``escapesSlashes`` is off, and leave
///   everything else, non-ASCII included, as UTF-8 (``shortEscapes`` narrows the two-character escapes
///   for the formats that were written before this writer: events spell every control `\u00xx`);
/// - numbers as Swift's shortest round-trip `description`, minus a trailing `.0` (`1`, `0.1`, `1e+16`, `-0`);
/// - pretty output (`.prettyPrinted`) puts each member and element on its own line indented by two
///   spaces per level, writes `"key" : value`, and an empty container as the bracket, a blank line
///   and the closing bracket.
///
/// Not copyable: it owns its buffer. Writing a value goes through `inout` (`(inout JSONWriter, T)` closures).
///
/// The type is `public` but every member is `package`: Swift 6.3 does not inline a `package` type's
/// `@inlinable` members into other modules, and the event generator, calling `raw` and `int` a few
/// dozen times an event from `RiskGateReplay`, lost a tenth of its speed to the calls.
public struct JSONWriter: ~Copyable {
    /// A value JSONEncoder would refuse.
    package enum Failure: Error, Hashable {
        /// NaN or an infinity, which JSON cannot hold.
        case nonFiniteNumber
        /// Containers nested deeper than JSONEncoder's limit of 511.
        case tooDeep
    }

    /// The control characters written as a backslash and a letter; the others become `\u00xx`.
    package struct ShortEscapes: OptionSet, Sendable {
        package let rawValue: UInt8
        package init(rawValue: UInt8) { self.rawValue = rawValue }

        /// U+0008 as `\b`.
        package static let backspace = ShortEscapes(rawValue: 1)
        /// U+000C as `\f`.
        package static let formFeed = ShortEscapes(rawValue: 2)
        /// U+000A as `\n`.
        package static let newline = ShortEscapes(rawValue: 4)
        /// U+000D as `\r`.
        package static let carriageReturn = ShortEscapes(rawValue: 8)
        /// U+0009 as `\t`.
        package static let tab = ShortEscapes(rawValue: 16)
        /// All five, as JSONEncoder writes them.
        package static let all: ShortEscapes = [.backspace, .formFeed, .newline, .carriageReturn, .tab]
    }

    @usableFromInline var base: UnsafeMutablePointer<UInt8>
    @usableFromInline var capacity: Int
    @usableFromInline var end = 0
    /// Write `/` as `\/` (JSONEncoder's default; off for `.withoutEscapingSlashes`).
    package let escapesSlashes: Bool
    /// One member or element a line, indented (JSONEncoder's `.prettyPrinted`).
    package let pretty: Bool
    /// Which control characters get a two-letter escape.
    package let shortEscapes: ShortEscapes
    /// Open containers, which is also the indentation level.
    private var depth = 0

    /// Same nesting limit as swift-foundation's JSONWriter, so the same values fail.
    private static let maximumDepth = 511

    /// A writer with room for `capacity` bytes (it grows as needed).
    package init(escapesSlashes: Bool, pretty: Bool = false, shortEscapes: ShortEscapes = .all, capacity: Int = 256) {
        self.escapesSlashes = escapesSlashes
        self.pretty = pretty
        self.shortEscapes = shortEscapes
        self.capacity = Swift.max(capacity, 16)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    // MARK: - Output

    /// Bytes written so far.
    package var count: Int { end }

    /// The JSON text written so far, as UTF-8 (a copy).
    package var bytes: [UInt8] { Array(UnsafeBufferPointer(start: base, count: count)) }

    /// The JSON text.
    package var text: String { String(decoding: UnsafeBufferPointer(start: base, count: count), as: UTF8.self) }

    /// Calls `body` with the bytes written so far (valid only during the call).
    package func withBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(UnsafeRawBufferPointer(start: base, count: count))
    }

    /// Drops everything after the first `count` bytes (a half-written value, or bytes already flushed).
    package mutating func truncate(to count: Int) {
        if count >= 0 && count <= end { end = count }
    }

    // MARK: - Scalars

    /// Writes `null`.
    @inlinable
    package mutating func null() { raw("null") }

    /// Writes `true` or `false`.
    @inlinable @inline(__always)
    package mutating func bool(_ value: Bool) {
        if value { raw("true") } else { raw("false") }
    }

    /// Writes a decimal integer.
    @inlinable @inline(__always)
    package mutating func int(_ value: Int) {
        if value < 0 { byte(UInt8(ascii: "-")) }
        digits(value.magnitude)
    }

    /// Writes a decimal unsigned integer.
    ///
    /// Always inlined, as are the other pieces the event generator writes per field: called across
    /// the module boundary they cost the generator a tenth of its time.
    @inlinable @inline(__always)
    package mutating func digits(_ value: UInt) {
        reserve(20)
        var v = value
        var n = 0
        var t = v
        repeat { n += 1; t /= 10 } while t > 0
        var p = base + end + n - 1
        repeat {
            p.pointee = UInt8(truncatingIfNeeded: v % 10) &+ 0x30
            v /= 10
            p -= 1
        } while v > 0
        end += n
    }

    /// Writes `value` in decimal, zero-padded to `width` digits (its low digits if it has more;
    /// negative values as zero): the fields of a timestamp.
    @inlinable
    package mutating func digits(_ value: Int, width: Int) {
        reserve(width)
        var v = Swift.max(value, 0)
        var p = base + end + width - 1
        for _ in 0..<width {
            p.pointee = UInt8(truncatingIfNeeded: v % 10) &+ 0x30
            v /= 10
            p -= 1
        }
        end += width
    }

    /// Writes the low `count` hex digits of `value` (1–16, lowercase, zero-padded), unquoted.
    @inlinable
    package mutating func hexDigits(_ value: UInt64, count: Int) {
        let n = Swift.min(Swift.max(count, 1), 16)
        reserve(n)
        let table: StaticString = "0123456789abcdef"
        var v = value
        var p = base + end + n - 1
        for _ in 0..<n {
            p.pointee = table.utf8Start[Int(v & 15)]
            v >>= 4
            p -= 1
        }
        end += n
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
        appendDescription(value.description)
    }

    /// Writes a finite number as JSONEncoder formats a `Float` (its own shortest text, not a `Double`'s).
    ///
    /// - Throws: ``Failure/nonFiniteNumber`` for NaN and infinities.
    package mutating func number(_ value: Float) throws(Failure) {
        guard value.isFinite else { throw .nonFiniteNumber }
        appendDescription(value.description)
    }

    /// Writes `value` rounded to `decimals` places (at most 9), trailing zeros dropped; `null` when it
    /// is not finite or too large. Events write coordinates and timings this way.
    @inlinable
    package mutating func fixed(_ value: Double, decimals: Int) {
        guard value.isFinite else { null(); return }
        var scale = 1
        for _ in 0..<Swift.min(Swift.max(decimals, 0), 9) { scale *= 10 }
        let scaled = (value * Double(scale)).rounded()
        guard abs(scaled) < 9e18 else { null(); return }
        var n = Int(scaled)
        if n < 0 {
            byte(UInt8(ascii: "-"))
            n = -n
        }
        int(n / scale)
        var fraction = n % scale
        if fraction == 0 { return }
        var width = decimals
        while fraction % 10 == 0 { fraction /= 10; width -= 1 }
        reserve(width + 1)
        base[end] = UInt8(ascii: ".")
        var p = end + width
        for _ in 0..<width {
            base[p] = UInt8(truncatingIfNeeded: fraction % 10) &+ 0x30
            fraction /= 10
            p -= 1
        }
        end += width + 1
    }

    /// Writes a string, quoted and escaped.
    package mutating func string(_ value: String) {
        let done: Void? = value.utf8.withContiguousStorageIfAvailable { appendQuoted(UnsafeRawBufferPointer($0), validating: false) }
        if done == nil {
            var copy = value
            copy.withUTF8 { appendQuoted(UnsafeRawBufferPointer($0), validating: false) }
        }
    }

    /// Writes a string from UTF-8 bytes, quoted and escaped; invalid UTF-8 becomes U+FFFD, so the
    /// text always decodes.
    package mutating func string(utf8 bytes: UnsafeRawBufferPointer) {
        appendQuoted(bytes, validating: true)
    }

    // MARK: - Containers

    /// Starts an object; write its members with ``key(_:)`` and a value each, in sorted key order.
    package mutating func beginObject() throws(Failure) { try open(UInt8(ascii: "{")) }

    /// Ends the innermost object.
    package mutating func endObject() { close(UInt8(ascii: "}")) }

    /// Writes a member name (and the comma before it when needed).
    package mutating func key(_ name: String) {
        separate(after: UInt8(ascii: "{"))
        string(name)
        if pretty { raw(" : ") } else { byte(UInt8(ascii: ":")) }
    }

    /// Starts an array; call ``element()`` before each element.
    package mutating func beginArray() throws(Failure) { try open(UInt8(ascii: "[")) }

    /// Ends the innermost array.
    package mutating func endArray() { close(UInt8(ascii: "]")) }

    /// Writes the comma before an array element when needed; call before each element.
    package mutating func element() { separate(after: UInt8(ascii: "[")) }

    // MARK: - Composites

    /// An array with one element per item, each written by `write`.
    package mutating func array<S: Sequence>(_ items: S, _ write: (inout JSONWriter, S.Element) throws(Failure) -> Void) throws(Failure) {
        try beginArray()
        for item in items {
            element()
            try write(&self, item)
        }
        endArray()
    }

    /// An array of objects, each written (keys and values) by `members` between the braces.
    package mutating func objects<S: Sequence>(_ items: S, _ members: (inout JSONWriter, S.Element) throws(Failure) -> Void) throws(Failure) {
        try array(items) { (w: inout JSONWriter, item: S.Element) throws(Failure) in
            try w.beginObject()
            try members(&w, item)
            w.endObject()
        }
    }

    /// An array of strings.
    package mutating func strings(_ values: [String]) throws(Failure) {
        try array(values) { (w: inout JSONWriter, value: String) throws(Failure) in w.string(value) }
    }

    /// An array of integers.
    package mutating func ints(_ values: [Int]) throws(Failure) {
        try array(values) { (w: inout JSONWriter, value: Int) throws(Failure) in w.int(value) }
    }

    /// An array of integers 0–255, as JSONEncoder writes `[UInt8]`.
    package mutating func bytes(_ values: [UInt8]) throws(Failure) {
        try array(values) { (w: inout JSONWriter, value: UInt8) throws(Failure) in w.digits(UInt(value)) }
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
        for (name, value) in JSONWriter.sorted(members) {
            key(name)
            try json(value)
        }
        endObject()
    }

    /// Writes a dictionary of strings as an object with sorted keys.
    package mutating func object(_ members: [String: String]) throws(Failure) {
        try beginObject()
        for (name, value) in JSONWriter.sorted(members) {
            key(name)
            string(value)
        }
        endObject()
    }

    /// Dictionary members in JSONEncoder's `.sortedKeys` order: by UTF-8 bytes.
    package static func sorted<Value>(_ members: [String: Value]) -> [(key: String, value: Value)] {
        members.sorted { utf8Precedes($0.key, $1.key) }
    }

    /// `a.utf8.lexicographicallyPrecedes(b.utf8)`, comparing contiguous storage directly when there is some
    /// (the generic view iteration dominated the cost of writing a signal object).
    package static func utf8Precedes(_ a: String, _ b: String) -> Bool {
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

    /// Appends one byte verbatim.
    @inlinable @inline(__always)
    package mutating func byte(_ value: UInt8) {
        reserve(1)
        base[end] = value
        end += 1
    }

    /// Appends literal JSON text verbatim (punctuation and keys known to need no escaping; never user text).
    @inlinable @inline(__always)
    package mutating func raw(_ text: StaticString) {
        let n = text.utf8CodeUnitCount
        reserve(n)
        (base + end).update(from: text.utf8Start, count: n)
        end += n
    }

    /// Appends bytes that are already valid JSON text, verbatim.
    @inlinable
    package mutating func raw(bytes: UnsafeRawBufferPointer) {
        guard let source = bytes.baseAddress, bytes.count > 0 else { return }
        reserve(bytes.count)
        (base + end).update(from: source.assumingMemoryBound(to: UInt8.self), count: bytes.count)
        end += bytes.count
    }

    /// Makes room for `n` more bytes.
    @inlinable @inline(__always)
    package mutating func reserve(_ n: Int) {
        if end + n > capacity { grow(end + n) }
    }

    @usableFromInline
    mutating func grow(_ needed: Int) {
        var newCapacity = capacity * 2
        while newCapacity < needed { newCapacity *= 2 }
        let newBase = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newBase.update(from: base, count: end)
        base.deallocate()
        base = newBase
        capacity = newCapacity
    }

    private mutating func open(_ bracket: UInt8) throws(Failure) {
        guard depth < JSONWriter.maximumDepth else { throw .tooDeep }
        depth += 1
        byte(bracket)
        if pretty { byte(UInt8(ascii: "\n")) }
    }

    private mutating func close(_ bracket: UInt8) {
        depth -= 1
        if pretty {
            byte(UInt8(ascii: "\n"))
            indent()
        }
        byte(bracket)
    }

    /// A comma unless the container was just opened (after a value the last byte is never `{`, `[`
    /// or a newline), then in pretty output a new line and the indentation.
    private mutating func separate(after opening: UInt8) {
        if pretty {
            if base[end - 1] != UInt8(ascii: "\n") { raw(",\n") }
            indent()
        } else if end == 0 || base[end - 1] != opening {
            byte(UInt8(ascii: ","))
        }
    }

    private mutating func indent() {
        let n = 2 * depth
        reserve(n)
        (base + end).update(repeating: UInt8(ascii: " "), count: n)
        end += n
    }

    /// Swift's `description` of a number without a trailing `.0`.
    private mutating func appendDescription(_ text: String) {
        var text = text
        text.withUTF8 { utf8 in
            let n = utf8.count > 2 && utf8[utf8.count - 2] == UInt8(ascii: ".") && utf8[utf8.count - 1] == UInt8(ascii: "0")
                ? utf8.count - 2 : utf8.count
            raw(bytes: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(utf8)[..<n]))
        }
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
            if value < 0 { byte(UInt8(ascii: "-")) }
            digits(n / unit)
            reserve(places + 1)
            base[end] = UInt8(ascii: ".")
            var fraction = n % unit
            for i in stride(from: places, through: 1, by: -1) {
                base[end + i] = 0x30 + UInt8(fraction % 10)
                fraction /= 10
            }
            end += places + 1
            return true
        }
        return false
    }

    /// A quoted string: runs that need no escaping are copied as they are.
    private mutating func appendQuoted(_ utf8: UnsafeRawBufferPointer, validating: Bool) {
        let n = utf8.count
        // Worst case: every byte becomes `\u00xx` (6 bytes), or U+FFFD (3) when invalid.
        reserve(n * 6 + 2)
        var out = base + end
        out.pointee = UInt8(ascii: "\"")
        out += 1
        var i = 0
        while i < n {
            let c = utf8[i]
            if c >= 0x20 && c < 0x80 {
                if c == UInt8(ascii: "\"") || c == UInt8(ascii: "\\") || (c == UInt8(ascii: "/") && escapesSlashes) {
                    out[0] = UInt8(ascii: "\\")
                    out[1] = c
                    out += 2
                } else {
                    out.pointee = c
                    out += 1
                }
                i += 1
            } else if c < 0x20 {
                out.pointee = UInt8(ascii: "\\")
                if let letter = shortEscape(c) {
                    out[1] = letter
                    out += 2
                } else {
                    out[1] = UInt8(ascii: "u")
                    out[2] = 0x30
                    out[3] = 0x30
                    out[4] = c >> 4 == 0 ? 0x30 : 0x31
                    out[5] = JSONWriter.hex(c & 0xF)
                    out += 6
                }
                i += 1
            } else if !validating {
                out.pointee = c
                out += 1
                i += 1
            } else {
                let length = JSONWriter.validUTF8SequenceLength(utf8, at: i)
                if length == 0 {
                    out[0] = 0xEF; out[1] = 0xBF; out[2] = 0xBD
                    out += 3
                    i += 1
                } else {
                    for k in 0..<length { out[k] = utf8[i + k] }
                    out += length
                    i += length
                }
            }
        }
        out.pointee = UInt8(ascii: "\"")
        out += 1
        end = out - base
    }

    private func shortEscape(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x08 where shortEscapes.contains(.backspace): UInt8(ascii: "b")
        case 0x0C where shortEscapes.contains(.formFeed): UInt8(ascii: "f")
        case 0x0A where shortEscapes.contains(.newline): UInt8(ascii: "n")
        case 0x0D where shortEscapes.contains(.carriageReturn): UInt8(ascii: "r")
        case 0x09 where shortEscapes.contains(.tab): UInt8(ascii: "t")
        default: nil
        }
    }

    private static func hex(_ nibble: UInt8) -> UInt8 { nibble < 10 ? 0x30 + nibble : 0x57 + nibble }

    /// Length of the valid UTF-8 sequence starting at `i` (lead byte >= 0x80), or 0 when invalid.
    package static func validUTF8SequenceLength(_ b: UnsafeRawBufferPointer, at i: Int) -> Int {
        let c = b[i]
        let n = b.count
        @inline(__always) func cont(_ k: Int) -> Bool { k < n && b[k] & 0xC0 == 0x80 }
        switch c {
        case 0xC2...0xDF:
            return cont(i + 1) ? 2 : 0
        case 0xE0:
            return i + 1 < n && (0xA0...0xBF).contains(b[i + 1]) && cont(i + 2) ? 3 : 0
        case 0xE1...0xEC, 0xEE...0xEF:
            return cont(i + 1) && cont(i + 2) ? 3 : 0
        case 0xED:
            return i + 1 < n && (0x80...0x9F).contains(b[i + 1]) && cont(i + 2) ? 3 : 0
        case 0xF0:
            return i + 1 < n && (0x90...0xBF).contains(b[i + 1]) && cont(i + 2) && cont(i + 3) ? 4 : 0
        case 0xF1...0xF3:
            return cont(i + 1) && cont(i + 2) && cont(i + 3) ? 4 : 0
        case 0xF4:
            return i + 1 < n && (0x80...0x8F).contains(b[i + 1]) && cont(i + 2) && cont(i + 3) ? 4 : 0
        default:
            return 0
        }
    }
}
