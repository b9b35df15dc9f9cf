import Foundation
import RiskGatePolicy

/// A byte-level JSON reader over one buffer: the one JSON reader of RiskGate, behind replay's
/// event lines, the service's request bodies and the command line's request files.
///
/// `JSONDecoder` builds a generic tree and boxes every value; replay and the service read
/// millions of small objects of one known shape, so this scanner walks the bytes once and hands
/// typed values straight to the caller (``readValue(depth:)`` builds a tree where one is wanted).
/// It is strict JSON (RFC 8259): no comments, no trailing commas, no `NaN`, no leading zeros, no
/// raw control characters in strings, valid UTF-8 only.
/// Nesting is bounded by `maxDepth` so hostile input cannot exhaust the stack.
///
/// The buffer must stay valid while the scanner is used; the scanner never writes to it.
package struct JSONScanner {
    /// A syntax or type problem, with the 1-based byte column where it was found.
    package struct Failure: Error, Sendable, Equatable {
        package var message: String
        package var column: Int
        /// The top-level key given twice, when that is the failure (decoders disagree on which
        /// value wins, so callers refuse such requests outright).
        package var duplicateKey: String? = nil
        /// The dotted path of the field whose value is wrong or missing (`geo.lat`,
        /// `typing.keys[1].up`), when the reader knows it; `nil` for a syntax error.
        package var field: String? = nil
        /// Whether ``field`` is missing rather than wrong.
        package var missing = false
        /// What the reader expected where it failed (`a number`, `` `{` ``), for a message that
        /// names the field's type.
        package var expected: String? = nil
    }

    /// An object key: a byte range of the buffer between the quotes. A plain value type (no
    /// `String`), so the hot loop allocates and releases nothing per key; keys with escapes
    /// (rare) are decoded on demand.
    package struct Key {
        let start: Int
        let count: Int
        let escaped: Bool
        /// Raw length in bytes (for escaped keys, before decoding).
        package var rawCount: Int { count }
        package var isEscaped: Bool { escaped }
    }

    let base: UnsafePointer<UInt8>
    let end: Int
    package private(set) var position: Int
    package let maxDepth: Int

    /// A scanner over `bytes`; `maxDepth` bounds the nesting of arrays and objects.
    package init(_ bytes: UnsafeRawBufferPointer, maxDepth: Int = 32) {
        // An empty buffer may have a nil base; point at a harmless static byte instead.
        if let address = bytes.baseAddress, bytes.count > 0 {
            base = address.assumingMemoryBound(to: UInt8.self)
        } else {
            base = JSONScanner.emptyByte
        }
        end = bytes.count
        position = 0
        self.maxDepth = maxDepth
    }

    nonisolated(unsafe) private static let emptyByte: UnsafePointer<UInt8> = {
        let pointer = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
        pointer.initialize(to: 0)
        return UnsafePointer(pointer)
    }()

    // MARK: - Errors

    package func failure(_ message: String, field: String? = nil, missing: Bool = false) -> Failure {
        Failure(message: message, column: position + 1, field: field, missing: missing)
    }

    private func unexpected(_ expected: String) -> Failure {
        var failure: Failure
        if position >= end || endsInsideLiteral {
            failure = self.failure("unexpected end of line, expected \(expected) (truncated line?)")
        } else {
            failure = self.failure("expected \(expected), found \(describe(base[position]))")
        }
        failure.expected = expected
        return failure
    }

    /// Whether the line ends in the first letters of `true`, `false` or `null` (a line cut there).
    private var endsInsideLiteral: Bool {
        let rest = end - position
        guard rest > 0 else { return false }
        for literal: StaticString in ["true", "false", "null"] where rest < literal.utf8CodeUnitCount {
            if memcmp(base + position, literal.utf8Start, rest) == 0 { return true }
        }
        return false
    }

    private func describe(_ byte: UInt8) -> String {
        if byte >= 0x21 && byte < 0x7F { return "`\(Character(Unicode.Scalar(byte)))`" }
        return String(format: "byte 0x%02X", byte)
    }

    // MARK: - Structure

    /// Skips JSON whitespace (space, tab, CR, LF).
    @inline(__always)
    package mutating func skipWhitespace() {
        while position < end {
            let c = base[position]
            if c == 0x20 || c == 0x09 || c == 0x0D || c == 0x0A { position += 1 } else { return }
        }
    }

    /// The next non-whitespace byte without consuming it.
    @inline(__always)
    package mutating func peek() -> UInt8? {
        skipWhitespace()
        return position < end ? base[position] : nil
    }

    /// True when only whitespace is left.
    package mutating func atEnd() -> Bool {
        skipWhitespace()
        return position >= end
    }

    /// Consumes `{`.
    package mutating func beginObject() throws(Failure) {
        skipWhitespace()
        guard position < end, base[position] == UInt8(ascii: "{") else { throw unexpected("`{`") }
        position += 1
    }

    /// Reads the next member's key and its `:`; `nil` after consuming the closing `}`.
    ///
    /// `first` tracks whether a `,` is needed; start it at `true` for each object.
    package mutating func nextMember(first: inout Bool) throws(Failure) -> Key? {
        skipWhitespace()
        guard position < end else { throw unexpected("a key or `}`") }
        if base[position] == UInt8(ascii: "}") {
            position += 1
            return nil
        }
        if !first {
            guard base[position] == UInt8(ascii: ",") else { throw unexpected("`,` or `}`") }
            position += 1
            skipWhitespace()
        }
        first = false
        guard position < end, base[position] == UInt8(ascii: "\"") else { throw unexpected("a key in double quotes") }
        let key = try readKey()
        skipWhitespace()
        guard position < end, base[position] == UInt8(ascii: ":") else { throw unexpected("`:` after a key") }
        position += 1
        return key
    }

    /// Consumes `[`.
    package mutating func beginArray() throws(Failure) {
        skipWhitespace()
        guard position < end, base[position] == UInt8(ascii: "[") else { throw unexpected("`[`") }
        position += 1
    }

    /// True when another element follows (consuming its `,`); false after consuming `]`.
    package mutating func nextElement(first: inout Bool) throws(Failure) -> Bool {
        skipWhitespace()
        guard position < end else { throw unexpected("a value or `]`") }
        if base[position] == UInt8(ascii: "]") {
            position += 1
            return false
        }
        if !first {
            guard base[position] == UInt8(ascii: ",") else { throw unexpected("`,` or `]`") }
            position += 1
        }
        first = false
        return true
    }

    /// Consumes `null` if it is next; false (consuming nothing) otherwise.
    @inline(__always)
    package mutating func consumeNull() -> Bool {
        skipWhitespace()
        guard position + 4 <= end, base[position] == UInt8(ascii: "n"),
              base[position + 1] == UInt8(ascii: "u"), base[position + 2] == UInt8(ascii: "l"),
              base[position + 3] == UInt8(ascii: "l")
        else { return false }
        position += 4
        return true
    }

    /// Consumes `literal` when the bytes at the current position (after whitespace) spell it
    /// exactly; false, consuming nothing but the whitespace, otherwise. For fast paths over an
    /// expected shape; the caller falls back to the general reader when it returns false.
    @inline(__always)
    package mutating func consumeLiteral(_ literal: StaticString) -> Bool {
        skipWhitespace()
        let count = literal.utf8CodeUnitCount
        guard end - position >= count, memcmp(base + position, literal.utf8Start, count) == 0 else { return false }
        position += count
        return true
    }

    /// Moves back to `mark`, a ``position`` read earlier from this scanner (to retry from there
    /// after a fast path did not match).
    package mutating func rewind(to mark: Int) {
        precondition(mark >= 0 && mark <= position, "rewind only to an earlier position")
        position = mark
    }

    // MARK: - Keys

    /// True when `key` spells `name` (an ASCII literal).
    @inline(__always)
    package func key(_ key: Key, is name: StaticString) -> Bool {
        if key.escaped {
            return string(of: key).utf8.elementsEqual(UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        }
        guard key.count == name.utf8CodeUnitCount else { return false }
        let expected = name.utf8Start
        for i in 0..<key.count where base[key.start + i] != expected[i] { return false }
        return true
    }

    /// The key as a string (for error messages and maps).
    package func string(of key: Key) -> String {
        if key.escaped {
            // Already validated by `readKey`; decode the quoted range again.
            var sub = JSONScanner(UnsafeRawBufferPointer(start: base + key.start - 1, count: key.count + 2), maxDepth: 1)
            return (try? sub.readString()) ?? ""
        }
        return String(decoding: UnsafeBufferPointer(start: base + key.start, count: key.count), as: UTF8.self)
    }

    private mutating func readKey() throws(Failure) -> Key {
        let start = position + 1
        var i = start
        var high: UInt8 = 0
        while i < end {
            let c = base[i]
            if c == UInt8(ascii: "\"") {
                position = i + 1
                if high >= 0x80 {
                    // Non-ASCII keys are rare; decode (and validate) them as strings.
                    guard String(validating: UnsafeBufferPointer(start: base + start, count: i - start), as: UTF8.self) != nil
                    else { throw failure("invalid UTF-8 in a key") }
                }
                return Key(start: start, count: i - start, escaped: false)
            }
            if c == UInt8(ascii: "\\") {
                position = start - 1
                _ = try readString()
                return Key(start: start, count: position - 1 - start, escaped: true)
            }
            if c < 0x20 { position = i; throw failure("control character in a string (must be escaped)") }
            high |= c
            i += 1
        }
        position = end
        throw failure("unexpected end of line inside a string (truncated line?)")
    }

    // MARK: - Scalars

    /// Reads a string value.
    package mutating func readString() throws(Failure) -> String {
        skipWhitespace()
        guard position < end, base[position] == UInt8(ascii: "\"") else { throw unexpected("a string") }
        let start = position + 1
        var i = start
        var high: UInt8 = 0
        while i < end {
            let c = base[i]
            if c == UInt8(ascii: "\"") {
                position = i + 1
                let bytes = UnsafeBufferPointer(start: base + start, count: i - start)
                if high < 0x80 { return String(decoding: bytes, as: UTF8.self) }
                guard let text = String(validating: bytes, as: UTF8.self) else {
                    position = start
                    throw failure("invalid UTF-8 in a string")
                }
                return text
            }
            if c == UInt8(ascii: "\\") {
                return try readEscapedString(from: start, plainUpTo: i)
            }
            if c < 0x20 { position = i; throw failure("control character in a string (must be escaped)") }
            high |= c
            i += 1
        }
        position = end
        throw failure("unexpected end of line inside a string (truncated line?)")
    }

    /// The slow path for strings with escapes: copies into a scratch buffer, then validates UTF-8.
    private mutating func readEscapedString(from start: Int, plainUpTo firstEscape: Int) throws(Failure) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(firstEscape - start + 16)
        bytes.append(contentsOf: UnsafeBufferPointer(start: base + start, count: firstEscape - start))
        var i = firstEscape
        while i < end {
            let c = base[i]
            if c == UInt8(ascii: "\"") {
                position = i + 1
                guard let text = String(validating: bytes, as: UTF8.self) else {
                    throw failure("invalid UTF-8 in a string")
                }
                return text
            }
            if c < 0x20 { position = i; throw failure("control character in a string (must be escaped)") }
            if c != UInt8(ascii: "\\") {
                bytes.append(c)
                i += 1
                continue
            }
            guard i + 1 < end else { break }
            let e = base[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "\""): bytes.append(0x22)
            case UInt8(ascii: "\\"): bytes.append(0x5C)
            case UInt8(ascii: "/"): bytes.append(0x2F)
            case UInt8(ascii: "b"): bytes.append(0x08)
            case UInt8(ascii: "f"): bytes.append(0x0C)
            case UInt8(ascii: "n"): bytes.append(0x0A)
            case UInt8(ascii: "r"): bytes.append(0x0D)
            case UInt8(ascii: "t"): bytes.append(0x09)
            case UInt8(ascii: "u"):
                position = i - 2
                guard let unit = hex4(at: i) else { throw failure("`\\u` must be followed by four hex digits") }
                i += 4
                var scalarValue = UInt32(unit)
                if unit >= 0xD800 && unit <= 0xDBFF {
                    // A high surrogate must be followed by an escaped low surrogate.
                    guard i + 6 <= end, base[i] == UInt8(ascii: "\\"), base[i + 1] == UInt8(ascii: "u"),
                          let low = hex4(at: i + 2), low >= 0xDC00, low <= 0xDFFF
                    else { throw failure("unpaired UTF-16 surrogate in `\\u` escape") }
                    i += 6
                    scalarValue = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
                } else if unit >= 0xDC00 && unit <= 0xDFFF {
                    throw failure("unpaired UTF-16 surrogate in `\\u` escape")
                }
                guard let scalar = Unicode.Scalar(scalarValue) else { throw failure("invalid `\\u` escape") }
                appendUTF8(scalar.value, to: &bytes)
            default:
                position = i - 2
                throw failure("invalid escape `\\\(Character(Unicode.Scalar(e)))` in a string")
            }
        }
        position = end
        throw failure("unexpected end of line inside a string (truncated line?)")
    }

    private func appendUTF8(_ v: UInt32, to bytes: inout [UInt8]) {
        switch v {
        case 0..<0x80: bytes.append(UInt8(v))
        case 0x80..<0x800:
            bytes.append(UInt8(0xC0 | (v >> 6))); bytes.append(UInt8(0x80 | (v & 0x3F)))
        case 0x800..<0x10000:
            bytes.append(UInt8(0xE0 | (v >> 12))); bytes.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
            bytes.append(UInt8(0x80 | (v & 0x3F)))
        default:
            bytes.append(UInt8(0xF0 | (v >> 18))); bytes.append(UInt8(0x80 | ((v >> 12) & 0x3F)))
            bytes.append(UInt8(0x80 | ((v >> 6) & 0x3F))); bytes.append(UInt8(0x80 | (v & 0x3F)))
        }
    }

    private func hex4(at index: Int) -> UInt16? {
        guard index + 4 <= end else { return nil }
        var value: UInt16 = 0
        for k in 0..<4 {
            let c = base[index + k]
            let digit: UInt8
            switch c {
            case 0x30...0x39: digit = c - 0x30
            case 0x41...0x46: digit = c - 0x41 + 10
            case 0x61...0x66: digit = c - 0x61 + 10
            default: return nil
            }
            value = value << 4 | UInt16(digit)
        }
        return value
    }

    /// Calls `body` with the raw bytes of a string value that has no escapes (the common case),
    /// or with its decoded UTF-8 otherwise. Avoids allocating a `String` for values like timestamps.
    package mutating func withStringBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) throws(Failure) -> R {
        skipWhitespace()
        guard position < end, base[position] == UInt8(ascii: "\"") else { throw unexpected("a string") }
        let start = position + 1
        var i = start
        while i < end {
            let c = base[i]
            if c == UInt8(ascii: "\"") {
                position = i + 1
                return body(UnsafeRawBufferPointer(start: base + start, count: i - start))
            }
            if c == UInt8(ascii: "\\") || c < 0x20 || c >= 0x80 { break }
            i += 1
        }
        var text = try readString()
        return text.withUTF8 { body(UnsafeRawBufferPointer($0)) }
    }

    private static let exactPowersOfTen: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ]

    /// Reads a number as `Double` (correctly rounded), refusing non-JSON forms and overflow.
    package mutating func readNumber() throws(Failure) -> Double {
        skipWhitespace()
        let start = position
        var i = position
        var negative = false
        if i < end && base[i] == UInt8(ascii: "-") { negative = true; i += 1 }
        guard i < end, base[i] >= 0x30, base[i] <= 0x39 else {
            if i >= end { position = i }  // a line cut after `-`
            throw unexpected("a number")
        }
        var mantissa: UInt64 = 0
        var digits = 0
        var exponent = 0
        if base[i] == 0x30 {
            i += 1
            if i < end, base[i] >= 0x30, base[i] <= 0x39 { position = i; throw failure("leading zeros are not allowed in a number") }
        } else {
            while i < end, base[i] >= 0x30, base[i] <= 0x39 {
                if digits < 19 { mantissa = mantissa &* 10 &+ UInt64(base[i] - 0x30) }
                digits += 1
                i += 1
            }
        }
        if i < end && base[i] == UInt8(ascii: ".") {
            i += 1
            let fractionStart = i
            while i < end, base[i] >= 0x30, base[i] <= 0x39 {
                if digits < 19 { mantissa = mantissa &* 10 &+ UInt64(base[i] - 0x30); exponent -= 1 }
                if mantissa != 0 { digits += 1 }
                i += 1
            }
            guard i > fractionStart else { position = i; throw unexpected("a digit after `.`") }
        }
        if i < end && (base[i] == UInt8(ascii: "e") || base[i] == UInt8(ascii: "E")) {
            i += 1
            var exponentNegative = false
            if i < end && (base[i] == UInt8(ascii: "+") || base[i] == UInt8(ascii: "-")) {
                exponentNegative = base[i] == UInt8(ascii: "-")
                i += 1
            }
            let exponentStart = i
            var explicit = 0
            while i < end, base[i] >= 0x30, base[i] <= 0x39 {
                if explicit < 100_000 { explicit = explicit * 10 + Int(base[i] - 0x30) }
                i += 1
            }
            guard i > exponentStart else { position = i; throw unexpected("a digit in the exponent") }
            exponent += exponentNegative ? -explicit : explicit
        }
        position = i
        // Fast path (Clinger): an exact mantissa times an exact power of ten rounds once, correctly.
        if digits <= 15 && exponent >= -22 && exponent <= 22 {
            var value = Double(mantissa)
            if exponent < 0 { value /= JSONScanner.exactPowersOfTen[-exponent] } else { value *= JSONScanner.exactPowersOfTen[exponent] }
            return negative ? -value : value
        }
        return try slowNumber(start: start, count: i - start)
    }

    private func slowNumber(start: Int, count: Int) throws(Failure) -> Double {
        guard count <= 1024 else { throw failure("number longer than 1024 characters") }
        let value: Double = withUnsafeTemporaryAllocation(of: CChar.self, capacity: count + 1) { scratch in
            for k in 0..<count { scratch[k] = CChar(bitPattern: base[start + k]) }
            scratch[count] = 0
            return strtod(scratch.baseAddress!, nil)
        }
        guard value.isFinite else { throw failure("number out of range") }
        return value
    }

    /// Reads `true` or `false`.
    package mutating func readBool() throws(Failure) -> Bool {
        skipWhitespace()
        if position + 4 <= end, memcmp(base + position, "true", 4) == 0 {
            position += 4
            return true
        }
        if position + 5 <= end, memcmp(base + position, "false", 5) == 0 {
            position += 5
            return false
        }
        throw unexpected("`true` or `false`")
    }

    // MARK: - Generic values

    /// Skips one value of any type, at most `maxDepth - depth` levels deep.
    /// Members skipped with ``skipUnknownMember(depth:)`` so far.
    package private(set) var unknownMembers = 0

    /// Skips the value of a member whose key the reader does not know, counting it in ``unknownMembers``.
    package mutating func skipUnknownMember(depth: Int) throws(Failure) {
        unknownMembers += 1
        try skipValue(depth: depth)
    }

    package mutating func skipValue(depth: Int) throws(Failure) {
        guard let c = peek() else { throw unexpected("a value") }
        switch c {
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            guard depth < maxDepth else { throw failure("nesting deeper than \(maxDepth) levels") }
            if c == UInt8(ascii: "{") {
                try beginObject()
                var first = true
                while try nextMember(first: &first) != nil { try skipValue(depth: depth + 1) }
            } else {
                try beginArray()
                var first = true
                while try nextElement(first: &first) { try skipValue(depth: depth + 1) }
            }
        case UInt8(ascii: "\""): _ = try withStringBytes { _ in 0 }
        case UInt8(ascii: "t"), UInt8(ascii: "f"): _ = try readBool()
        case UInt8(ascii: "n"):
            guard consumeNull() else { throw unexpected("a value") }
        default: _ = try readNumber()
        }
    }

    /// The first syntax error in `bytes` read as one JSON value (nesting included), or `nil` when
    /// they are valid JSON: tells a malformed body from a well-formed one of the wrong shape.
    package static func syntaxError(in bytes: UnsafeRawBufferPointer, maxDepth: Int) -> Failure? {
        var s = JSONScanner(bytes, maxDepth: maxDepth)
        do {
            try s.skipValue(depth: 0)
        } catch {
            return error
        }
        return s.atEnd() ? nil : s.failure("unexpected text after the JSON value")
    }

    /// Reads one value of any type as a ``JSONValue``, at most `maxDepth - depth` levels deep.
    package mutating func readValue(depth: Int) throws(Failure) -> JSONValue {
        guard let c = peek() else { throw unexpected("a value") }
        switch c {
        case UInt8(ascii: "{"):
            guard depth < maxDepth else { throw failure("nesting deeper than \(maxDepth) levels") }
            try beginObject()
            var object: [String: JSONValue] = [:]
            var first = true
            while let key = try nextMember(first: &first) {
                object[string(of: key)] = try readValue(depth: depth + 1)
            }
            return .object(object)
        case UInt8(ascii: "["):
            guard depth < maxDepth else { throw failure("nesting deeper than \(maxDepth) levels") }
            try beginArray()
            var array: [JSONValue] = []
            var first = true
            while try nextElement(first: &first) { array.append(try readValue(depth: depth + 1)) }
            return .array(array)
        case UInt8(ascii: "\""): return .string(try readString())
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .bool(try readBool())
        case UInt8(ascii: "n"):
            guard consumeNull() else { throw unexpected("a value") }
            return .null
        default: return .number(try readNumber())
        }
    }
}
