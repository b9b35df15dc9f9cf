#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Splits a byte stream into lines with a fixed buffer, so memory stays bounded whatever the input size.
///
/// Lines end at LF; a CR before the LF is dropped (CRLF files). The last line needs no terminator.
/// A line longer than the buffer is not kept: it is reported as ``Line/tooLong`` and skipped to its end.
struct LineReader<Source: ByteSource>: ~Copyable {
    /// One line as the reader hands it out.
    enum Line {
        /// The line's bytes, valid until the next call to ``next()``.
        case text(UnsafeRawBufferPointer)
        /// A line longer than the buffer; its bytes were dropped.
        case tooLong
    }

    private var source: Source
    private let storage: UnsafeMutableRawBufferPointer
    private var start = 0
    private var end = 0
    private var atEnd = false
    /// 1-based number of the line last returned.
    private(set) var lineNumber = 0
    /// Whether the last line returned had no terminator (end of input).
    private(set) var lastLineUnterminated = false

    /// Creates a reader; `capacity` is also the longest line kept.
    init(source: consuming Source, capacity: Int = 1 << 20) {
        self.source = source
        storage = .allocate(byteCount: max(capacity, 64), alignment: 16)
    }

    deinit { storage.deallocate() }

    /// The next line, or `nil` at the end of input.
    mutating func next() throws -> Line? {
        var skipping = false
        while true {
            if start < end {
                let base = storage.baseAddress! + start
                if let lf = memchr(base, 0x0A, end - start) {
                    let length = UnsafeRawPointer(base).distance(to: UnsafeRawPointer(lf))
                    let lineStart = start
                    start += length + 1
                    lineNumber += 1
                    lastLineUnterminated = false
                    if skipping { return .tooLong }
                    return .text(trimCR(lineStart, length))
                }
            }
            if atEnd {
                guard start < end else {
                    if skipping {
                        lineNumber += 1
                        lastLineUnterminated = true
                        return .tooLong
                    }
                    return nil
                }
                let lineStart = start
                let length = end - start
                start = end
                lineNumber += 1
                lastLineUnterminated = true
                if skipping { return .tooLong }
                return .text(trimCR(lineStart, length))
            }
            // No full line buffered: make room and read more.
            if start > 0 {
                if end > start {
                    storage.baseAddress!.copyMemory(from: storage.baseAddress! + start, byteCount: end - start)
                }
                end -= start
                start = 0
            }
            if end == storage.count {
                // The line does not fit: drop what we have and skip to its terminator.
                skipping = true
                start = 0
                end = 0
            }
            let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: storage[end...]))
            if n == 0 { atEnd = true } else { end += n }
        }
    }

    private func trimCR(_ lineStart: Int, _ length: Int) -> UnsafeRawBufferPointer {
        var n = length
        if n > 0 && storage[lineStart + n - 1] == 0x0D { n -= 1 }
        return UnsafeRawBufferPointer(rebasing: storage[lineStart..<(lineStart + n)])
    }
}
