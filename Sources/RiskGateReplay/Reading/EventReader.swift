import Foundation
import RiskGateEngine
import RiskGatePolicy

/// Streams a JSONL replay dataset (docs/replay.md) into ``ReplayEvent``s with bounded memory.
///
/// The file is read in fixed-size chunks and never held whole; a line longer than
/// ``Options/maxLineBytes`` is skipped without buffering it. Every line that cannot be
/// replayed — not JSON, wrong types, no `user`, a value ``RequestContext/validate()`` refuses
/// (the service would answer 400), no `time`, a `time` earlier than the previous
/// accepted event's, a truncated last line — is counted in ``badLineCount``, the first
/// ``Options/maxBadLinesKept`` are kept in ``badLines`` with their line numbers, and the line is
/// skipped. Blank lines are ignored.
///
/// Not thread-safe: one reader is used by one thread at a time.
public final class EventReader {
    /// Limits and checks.
    public struct Options: Sendable {
        /// Longest accepted line in bytes (default 1 MiB).
        public var maxLineBytes: Int = 1 << 20
        /// Bytes requested from the file per read (default 1 MiB).
        public var chunkBytes: Int = 1 << 20
        /// How many bad lines are kept with their messages; all are counted.
        public var maxBadLinesKept: Int = 100
        /// Deepest nesting of arrays and objects accepted in a line.
        public var maxDepth: Int = 32
        /// Whether an event earlier than the previous accepted one is a bad line (replay needs time order).
        public var requireTimeOrder: Bool = true

        public init() {}
    }

    /// The options in force.
    public let options: Options
    /// Size of the dataset in bytes when it is a regular file (for progress), else `nil`.
    public let totalBytes: Int64?
    /// Lines consumed so far (including bad and blank lines).
    public private(set) var lineNumber = 0
    /// Events returned so far.
    public private(set) var eventCount = 0
    /// Bad lines seen so far.
    public private(set) var badLineCount = 0
    /// The first bad lines, in file order.
    public private(set) var badLines: [BadLine] = []
    /// Bytes read from the file so far.
    public private(set) var bytesRead: Int64 = 0

    private let fd: Int32
    private let ownsDescriptor: Bool
    private var buffer: UnsafeMutableRawPointer
    private var capacity: Int
    private var start = 0
    private var filled = 0
    private var endOfFile = false
    private var skippingLongLine = false
    private var lastSeconds = -Double.infinity

    /// Opens `path` for reading; `-` reads standard input.
    ///
    /// - Throws: ``ReplayError`` when the file cannot be opened.
    public convenience init(path: String, options: Options = Options()) throws {
        if path == "-" {
            self.init(fileDescriptor: 0, closeWhenDone: false, options: options)
            return
        }
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else {
            throw ReplayError.io("cannot open dataset `\(path)`: \(String(cString: strerror(errno)))")
        }
        self.init(fileDescriptor: descriptor, closeWhenDone: true, options: options)
    }

    /// Reads from an open descriptor (a file, a pipe); closes it on deinit when `closeWhenDone`.
    public init(fileDescriptor: Int32, closeWhenDone: Bool, options: Options = Options()) {
        self.fd = fileDescriptor
        self.ownsDescriptor = closeWhenDone
        var sanitized = options
        sanitized.maxLineBytes = max(16, options.maxLineBytes)
        sanitized.chunkBytes = max(4096, options.chunkBytes)
        sanitized.maxBadLinesKept = max(0, options.maxBadLinesKept)
        sanitized.maxDepth = max(2, min(options.maxDepth, 512))
        self.options = sanitized
        capacity = min(sanitized.chunkBytes, sanitized.maxLineBytes + 1) < 4096 ? 4096 : min(sanitized.chunkBytes, sanitized.maxLineBytes + 1)
        buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
        var info = stat()
        if fstat(fileDescriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG {
            totalBytes = Int64(info.st_size)
        } else {
            totalBytes = nil
        }
    }

    deinit {
        buffer.deallocate()
        if ownsDescriptor { close(fd) }
    }

    /// The next good event, skipping (and recording) bad lines; `nil` at the end of the dataset.
    ///
    /// - Throws: ``ReplayError`` only for I/O failures; bad data never throws.
    public func next() throws -> ReplayEvent? {
        while true {
            if start < filled, let newline = memchr(buffer + start, 0x0A, filled - start) {
                let lineEnd = buffer.distance(to: newline)
                let lineStart = start
                start = lineEnd + 1
                lineNumber += 1
                if skippingLongLine {
                    skippingLongLine = false
                    recordBad("line longer than \(options.maxLineBytes) bytes")
                    continue
                }
                if let event = process(lineStart, lineEnd - lineStart) { return event }
                continue
            }
            if endOfFile {
                guard start < filled || skippingLongLine else { return nil }
                // The last line has no newline: replay it if it is whole, report it if not.
                lineNumber += 1
                let lineStart = start
                start = filled
                if skippingLongLine {
                    skippingLongLine = false
                    recordBad("line longer than \(options.maxLineBytes) bytes")
                    return nil
                }
                return process(lineStart, filled - lineStart)
            }
            try refill()
        }
    }

    /// Up to `limit` events (fewer only at the end); empty at the end of the dataset.
    public func nextBatch(limit: Int) throws -> [ReplayEvent] {
        var batch: [ReplayEvent] = []
        batch.reserveCapacity(limit)
        while batch.count < limit, let event = try next() { batch.append(event) }
        return batch
    }

    private func refill() throws {
        if skippingLongLine {
            // The line is already known to be too long; drop what was read of it.
            start = 0
            filled = 0
        } else if start > 0 {
            let pending = filled - start
            if pending > 0 { memmove(buffer, buffer + start, pending) }
            start = 0
            filled = pending
        }
        if filled == capacity {
            // One line fills the buffer: grow up to the line limit, then give up on the line.
            if capacity > options.maxLineBytes {
                skippingLongLine = true
                start = 0
                filled = 0
            } else {
                let grown = min(capacity * 2, options.maxLineBytes + 1)
                let bigger = UnsafeMutableRawPointer.allocate(byteCount: grown, alignment: 16)
                bigger.copyMemory(from: buffer, byteCount: filled)
                buffer.deallocate()
                buffer = bigger
                capacity = grown
            }
        }
        while true {
            let count = read(fd, buffer + filled, capacity - filled)
            if count > 0 {
                filled += count
                bytesRead += Int64(count)
                return
            }
            if count == 0 {
                endOfFile = true
                return
            }
            if errno == EINTR { continue }
            throw ReplayError.io("cannot read dataset: \(String(cString: strerror(errno)))")
        }
    }

    private func process(_ offset: Int, _ length: Int) -> ReplayEvent? {
        var from = offset
        var count = length
        if lineNumber == 1, count >= 3, buffer.load(fromByteOffset: from, as: UInt8.self) == 0xEF,
           buffer.load(fromByteOffset: from + 1, as: UInt8.self) == 0xBB,
           buffer.load(fromByteOffset: from + 2, as: UInt8.self) == 0xBF {
            from += 3
            count -= 3
        }
        if count > options.maxLineBytes {
            recordBad("line longer than \(options.maxLineBytes) bytes")
            return nil
        }
        let bytes = UnsafeRawBufferPointer(start: buffer + from, count: count)
        if isBlank(bytes) { return nil }
        var parsed: (context: RequestContext, seconds: Double)
        do {
            parsed = try EventLineParser.parse(bytes, maxDepth: options.maxDepth)
        } catch {
            recordBad("\(error.message) (column \(error.column))")
            return nil
        }
        do {
            try parsed.context.validate()
        } catch {
            recordBad(error.message)
            return nil
        }
        guard !parsed.seconds.isNaN else {
            recordBad("missing `time` (replay needs every event's time)")
            return nil
        }
        if options.requireTimeOrder && parsed.seconds < lastSeconds {
            let previous = Timestamp.format(Date(timeIntervalSince1970: lastSeconds))
            let this = Timestamp.format(Date(timeIntervalSince1970: parsed.seconds))
            recordBad("event out of time order: `\(this)` is earlier than the previous event's `\(previous)`")
            return nil
        }
        lastSeconds = parsed.seconds
        eventCount += 1
        return ReplayEvent(line: lineNumber, context: parsed.context, seconds: parsed.seconds)
    }

    private func isBlank(_ bytes: UnsafeRawBufferPointer) -> Bool {
        for byte in bytes where !(byte == 0x20 || byte == 0x09 || byte == 0x0D) { return false }
        return true
    }

    private func recordBad(_ message: String) {
        badLineCount += 1
        if badLines.count < options.maxBadLinesKept { badLines.append(BadLine(line: lineNumber, message: message)) }
    }
}

/// A failure that stops a replay (I/O, or a decider that could not decide); bad data lines never do.
public enum ReplayError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The dataset or report could not be read or written.
    case io(String)
    /// A decider threw for the event on `line`.
    case decider(line: Int, message: String)

    public var description: String {
        switch self {
        case .io(let message): message
        case .decider(let line, let message): "line \(line): decider failed: \(message)"
        }
    }
}
