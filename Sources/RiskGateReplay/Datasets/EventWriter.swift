#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RiskGatePolicy

/// A buffered writer of JSONL events, built byte by byte instead of through `JSONEncoder`.
///
/// The importer and the generator write hundreds of thousands of events a second; going through
/// `Codable` would allocate per field. Callers append JSON pieces (`raw`, `string`, `int`, ...) and
/// end each event with ``endLine()``; full buffers go to the sink in one `write(2)`.
/// Not thread-safe: one writer belongs to one producer.
public final class EventWriter {
    /// Where flushed bytes go.
    public enum Sink {
        /// An open file descriptor (stdout is 1); the writer does not close it.
        case fileDescriptor(Int32)
        /// Kept in ``collected`` (tests, small outputs).
        case memory
    }

    /// A failed `write(2)`.
    public struct WriteError: Error, CustomStringConvertible {
        /// The `errno` value.
        public var code: Int32
        public var description: String { "cannot write output: \(String(cString: strerror(code)))" }
    }

    private let sink: Sink
    private var buffer: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private var count = 0
    /// Bytes flushed to a `.memory` sink.
    public private(set) var collected: [UInt8] = []
    /// Total bytes accepted so far (flushed or not).
    public private(set) var bytesWritten = 0
    private let flushThreshold: Int

    /// Creates a writer with a buffer of `bufferSize` bytes (grown only for a single oversized event).
    public init(sink: Sink, bufferSize: Int = 1 << 20) {
        self.sink = sink
        capacity = max(bufferSize, 4096)
        flushThreshold = capacity - capacity / 8
        buffer = .allocate(capacity: capacity)
    }

    deinit { buffer.deallocate() }

    /// The text flushed to a `.memory` sink, as UTF-8.
    public var collectedText: String { String(decoding: collected, as: UTF8.self) }

    // MARK: Low-level appends

    @inline(__always)
    private func reserve(_ n: Int) {
        if count + n > capacity { grow(count + n) }
    }

    private func grow(_ needed: Int) {
        var newCapacity = capacity * 2
        while newCapacity < needed { newCapacity *= 2 }
        let newBuffer = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newBuffer.update(from: buffer, count: count)
        buffer.deallocate()
        buffer = newBuffer
        capacity = newCapacity
    }

    /// Appends one byte.
    @inline(__always)
    public func byte(_ b: UInt8) {
        reserve(1)
        buffer[count] = b
        count += 1
    }

    /// Appends literal bytes (JSON punctuation and keys; never user text).
    @inline(__always)
    public func raw(_ text: StaticString) {
        let n = text.utf8CodeUnitCount
        reserve(n)
        (buffer + count).update(from: text.utf8Start, count: n)
        count += n
    }

    /// Appends already-valid JSON bytes verbatim.
    public func raw(bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        reserve(bytes.count)
        (buffer + count).update(from: base.assumingMemoryBound(to: UInt8.self), count: bytes.count)
        count += bytes.count
    }

    /// Appends a JSON string (with quotes) from UTF-8 bytes, escaping as RFC 8259 requires.
    ///
    /// Invalid UTF-8 is replaced by U+FFFD so that the line always decodes.
    public func string(utf8 bytes: UnsafeRawBufferPointer) {
        let n = bytes.count
        // Worst case: every byte becomes `\u00XX` (6) or U+FFFD (3).
        reserve(n * 6 + 2)
        buffer[count] = 0x22
        count += 1
        var i = 0
        while i < n {
            let c = bytes[i]
            if c >= 0x20 && c < 0x80 {
                if c == 0x22 || c == 0x5C {
                    buffer[count] = 0x5C
                    buffer[count + 1] = c
                    count += 2
                } else {
                    buffer[count] = c
                    count += 1
                }
                i += 1
            } else if c < 0x20 {
                let hex: StaticString = "0123456789abcdef"
                buffer[count] = 0x5C; buffer[count + 1] = 0x75; buffer[count + 2] = 0x30; buffer[count + 3] = 0x30
                buffer[count + 4] = hex.utf8Start[Int(c >> 4)]
                buffer[count + 5] = hex.utf8Start[Int(c & 15)]
                count += 6
                i += 1
            } else {
                let length = EventWriter.validUTF8SequenceLength(bytes, at: i)
                if length == 0 {
                    buffer[count] = 0xEF; buffer[count + 1] = 0xBF; buffer[count + 2] = 0xBD
                    count += 3
                    i += 1
                } else {
                    for k in 0..<length { buffer[count + k] = bytes[i + k] }
                    count += length
                    i += length
                }
            }
        }
        buffer[count] = 0x22
        count += 1
    }

    /// Appends a JSON string from Swift text.
    public func string(_ text: String) {
        var copy = text
        copy.withUTF8 { string(utf8: UnsafeRawBufferPointer($0)) }
    }

    /// Appends a JSON string known to need no escaping (ASCII letters, digits, `-`, `.`, `+`, `:`).
    @inline(__always)
    public func plainString(_ text: StaticString) {
        byte(0x22)
        raw(text)
        byte(0x22)
    }

    /// Appends a decimal integer.
    @inline(__always)
    public func int(_ value: Int) {
        reserve(21)
        var v = value.magnitude
        if value < 0 {
            buffer[count] = 0x2D
            count += 1
        }
        var digits = 0
        var tmp = v
        repeat { digits += 1; tmp /= 10 } while tmp > 0
        var p = count + digits - 1
        repeat {
            buffer[p] = UInt8(truncatingIfNeeded: v % 10) &+ 0x30
            v /= 10
            p -= 1
        } while v > 0
        count += digits
    }

    /// Appends a number with a fixed number of decimals (at most 9), trailing zeros trimmed.
    public func fixed(_ value: Double, decimals: Int) {
        guard value.isFinite else { raw("null"); return }
        var scale = 1
        for _ in 0..<min(max(decimals, 0), 9) { scale *= 10 }
        let scaled = (value * Double(scale)).rounded()
        guard abs(scaled) < 9e18 else { raw("null"); return }
        var n = Int(scaled)
        if n < 0 {
            byte(0x2D)
            n = -n
        }
        int(n / scale)
        var fraction = n % scale
        if fraction == 0 { return }
        var width = decimals
        while fraction % 10 == 0 { fraction /= 10; width -= 1 }
        reserve(width + 1)
        buffer[count] = 0x2E
        var p = count + width
        for _ in 0..<width {
            buffer[p] = UInt8(truncatingIfNeeded: fraction % 10) &+ 0x30
            fraction /= 10
            p -= 1
        }
        count += width + 1
    }

    /// Appends `true` or `false`.
    @inline(__always)
    public func bool(_ value: Bool) {
        if value { raw("true") } else { raw("false") }
    }

    /// Appends a quoted dotted-quad IPv4 address.
    public func ipv4(_ value: UInt32) {
        reserve(17)
        byte(0x22)
        int(Int(value >> 24)); byte(0x2E)
        int(Int(value >> 16 & 0xFF)); byte(0x2E)
        int(Int(value >> 8 & 0xFF)); byte(0x2E)
        int(Int(value & 0xFF))
        byte(0x22)
    }

    /// Appends the low `digits` hex digits of `value` (lowercase, zero-padded), unquoted.
    public func hex(_ value: UInt64, digits: Int) {
        let n = min(max(digits, 1), 16)
        reserve(n)
        let table: StaticString = "0123456789abcdef"
        var v = value
        var p = count + n - 1
        for _ in 0..<n {
            buffer[p] = table.utf8Start[Int(v & 15)]
            v >>= 4
            p -= 1
        }
        count += n
    }

    /// Appends a quoted `YYYY-MM-DDTHH:MM:SS(.mmm)Z` for milliseconds since 1970 (the form of ``Timestamp/format(_:)``).
    public func timestamp(epochMilliseconds ms: Int64) {
        var seconds = ms / 1000
        var millis = Int(ms % 1000)
        if millis < 0 { millis += 1000; seconds -= 1 }
        var days = Int(seconds / 86400)
        var rem = Int(seconds % 86400)
        if rem < 0 { rem += 86400; days -= 1 }
        let (y, m, d) = Timestamp.civilFromDays(days)
        reserve(32)
        buffer[count] = 0x22
        count += 1
        digits(y, 4); byte(0x2D); digits(m, 2); byte(0x2D); digits(d, 2); byte(0x54)
        digits(rem / 3600, 2); byte(0x3A); digits(rem % 3600 / 60, 2); byte(0x3A); digits(rem % 60, 2)
        if millis > 0 { byte(0x2E); digits(millis, 3) }
        byte(0x5A)
        byte(0x22)
    }

    @inline(__always)
    private func digits(_ value: Int, _ width: Int) {
        var v = max(value, 0)
        var p = count + width - 1
        for _ in 0..<width {
            buffer[p] = UInt8(truncatingIfNeeded: v % 10) &+ 0x30
            v /= 10
            p -= 1
        }
        count += width
    }

    /// Ends the current event with a newline and flushes when the buffer is mostly full.
    public func endLine() throws {
        byte(0x0A)
        if count >= flushThreshold { try flush() }
    }

    /// Marks where the current event began, so a half-written event can be dropped.
    public var mark: Int { count }

    /// Drops everything appended after `mark` (an event that turned out to be bad).
    public func rewind(to mark: Int) {
        if mark >= 0 && mark <= count { count = mark }
    }

    /// Writes buffered bytes to the sink.
    public func flush() throws {
        defer { count = 0 }
        bytesWritten += count
        switch sink {
        case .memory:
            collected.append(contentsOf: UnsafeBufferPointer(start: buffer, count: count))
        case .fileDescriptor(let fd):
            var offset = 0
            while offset < count {
                let written = write(fd, buffer + offset, count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    let code = errno
                    bytesWritten -= count - offset
                    throw WriteError(code: code)
                }
                offset += written
            }
        }
    }

    /// Length of the valid UTF-8 sequence starting at `i` (lead byte >= 0x80), or 0 when invalid.
    static func validUTF8SequenceLength(_ b: UnsafeRawBufferPointer, at i: Int) -> Int {
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
