#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RiskGatePolicy

/// A buffered writer of JSONL events: the core's ``RiskGatePolicy/JSONWriter`` with a sink, and the
/// few event fields (addresses, device ids, times) it spells out without going through a `String`.
///
/// The importer and the generator write hundreds of thousands of events a second; going through
/// `Codable` would allocate per field. Callers append JSON pieces (`raw`, `string`, `int`, ...) and
/// end each event with ``endLine()``; full buffers go to the sink in one `write(2)`. Strings are
/// escaped and numbers formatted by the one writer, in the events' spelling: every control
/// character as `\u00xx`, slashes as they are.
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
    // Unchecked: every access is a short call on the one producer's thread, never overlapping, and
    // the runtime's check on each of them was a tenth of the generator's time.
    @exclusivity(unchecked) private var json: JSONWriter
    /// Bytes flushed to a `.memory` sink.
    public private(set) var collected: [UInt8] = []
    /// Total bytes accepted so far (flushed or not).
    public private(set) var bytesWritten = 0
    private let flushThreshold: Int

    /// Creates a writer with a buffer of `bufferSize` bytes (grown only for a single oversized event).
    public init(sink: Sink, bufferSize: Int = 1 << 20) {
        self.sink = sink
        let capacity = max(bufferSize, 4096)
        flushThreshold = capacity - capacity / 8
        json = JSONWriter(escapesSlashes: false, shortEscapes: [], capacity: capacity)
    }

    /// The text flushed to a `.memory` sink, as UTF-8.
    public var collectedText: String { String(decoding: collected, as: UTF8.self) }

    // MARK: JSON pieces

    /// Appends one byte.
    @inline(__always)
    public func byte(_ b: UInt8) { json.byte(b) }

    /// Appends literal bytes (JSON punctuation and keys; never user text).
    @inline(__always)
    public func raw(_ text: StaticString) { json.raw(text) }

    /// Appends already-valid JSON bytes verbatim.
    public func raw(bytes: UnsafeRawBufferPointer) { json.raw(bytes: bytes) }

    /// Appends a JSON string (with quotes) from UTF-8 bytes, escaping as RFC 8259 requires.
    ///
    /// Invalid UTF-8 is replaced by U+FFFD so that the line always decodes.
    public func string(utf8 bytes: UnsafeRawBufferPointer) { json.string(utf8: bytes) }

    /// Appends a JSON string from Swift text.
    public func string(_ text: String) { json.string(text) }

    /// Appends a JSON string known to need no escaping (ASCII letters, digits, `-`, `.`, `+`, `:`).
    @inline(__always)
    public func plainString(_ text: StaticString) {
        json.byte(0x22)
        json.raw(text)
        json.byte(0x22)
    }

    /// Appends a decimal integer.
    @inline(__always)
    public func int(_ value: Int) { json.int(value) }

    /// Appends a number with a fixed number of decimals (at most 9), trailing zeros trimmed.
    public func fixed(_ value: Double, decimals: Int) { json.fixed(value, decimals: decimals) }

    /// Appends `true` or `false`.
    @inline(__always)
    public func bool(_ value: Bool) { json.bool(value) }

    // MARK: Event fields

    /// Appends a quoted dotted-quad IPv4 address.
    public func ipv4(_ value: UInt32) {
        json.byte(0x22)
        json.int(Int(value >> 24)); json.byte(0x2E)
        json.int(Int(value >> 16 & 0xFF)); json.byte(0x2E)
        json.int(Int(value >> 8 & 0xFF)); json.byte(0x2E)
        json.int(Int(value & 0xFF))
        json.byte(0x22)
    }

    /// Appends the low `digits` hex digits of `value` (lowercase, zero-padded), unquoted.
    public func hex(_ value: UInt64, digits: Int) { json.hexDigits(value, count: digits) }

    /// Appends a quoted `YYYY-MM-DDTHH:MM:SS(.mmm)Z` for milliseconds since 1970 (the form of ``Timestamp/format(_:)``).
    public func timestamp(epochMilliseconds ms: Int64) {
        var seconds = ms / 1000
        var millis = Int(ms % 1000)
        if millis < 0 { millis += 1000; seconds -= 1 }
        var days = Int(seconds / 86400)
        var rem = Int(seconds % 86400)
        if rem < 0 { rem += 86400; days -= 1 }
        let (y, m, d) = Timestamp.civilFromDays(days)
        json.byte(0x22)
        json.digits(y, width: 4); json.byte(0x2D); json.digits(m, width: 2); json.byte(0x2D); json.digits(d, width: 2); json.byte(0x54)
        json.digits(rem / 3600, width: 2); json.byte(0x3A); json.digits(rem % 3600 / 60, width: 2); json.byte(0x3A)
        json.digits(rem % 60, width: 2)
        if millis > 0 { json.byte(0x2E); json.digits(millis, width: 3) }
        json.byte(0x5A)
        json.byte(0x22)
    }

    // MARK: Lines and flushing

    /// Ends the current event with a newline and flushes when the buffer is mostly full.
    public func endLine() throws {
        json.byte(0x0A)
        if json.count >= flushThreshold { try flush() }
    }

    /// Marks where the current event began, so a half-written event can be dropped.
    public var mark: Int { json.count }

    /// Drops everything appended after `mark` (an event that turned out to be bad).
    public func rewind(to mark: Int) { json.truncate(to: mark) }

    /// Writes buffered bytes to the sink.
    public func flush() throws {
        let count = json.count
        defer { json.truncate(to: 0) }
        bytesWritten += count
        switch sink {
        case .memory:
            json.withBytes { collected.append(contentsOf: $0) }
        case .fileDescriptor(let fd):
            let failure: (code: Int32, unwritten: Int)? = json.withBytes { bytes in
                guard let base = bytes.baseAddress else { return nil }
                var offset = 0
                while offset < count {
                    let written = write(fd, base + offset, count - offset)
                    if written < 0 {
                        if errno == EINTR { continue }
                        return (errno, count - offset)
                    }
                    offset += written
                }
                return nil
            }
            if let failure {
                bytesWritten -= failure.unwritten
                throw WriteError(code: failure.code)
            }
        }
    }
}
