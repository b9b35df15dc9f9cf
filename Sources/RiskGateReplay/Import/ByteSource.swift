#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Something bytes can be read from in chunks: a file, a pipe, or memory in tests.
public protocol ByteSource {
    /// Reads up to `buffer.count` bytes into `buffer`; returns 0 at the end.
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

/// A failed `open(2)` or `read(2)`.
public struct ByteSourceError: Error, CustomStringConvertible {
    /// The file, or `-` for standard input.
    public var path: String
    /// The `errno` value.
    public var code: Int32
    public var description: String { "cannot read `\(path)`: \(String(cString: strerror(code)))" }
}

/// Reads a file (or standard input) with `read(2)`, so that a 9 GB file never sits in memory.
public struct FileByteSource: ByteSource {
    private let fd: Int32
    private let path: String
    private let owned: Bool

    /// Opens `path` for reading; `-` means standard input.
    /// - Throws: ``ByteSourceError`` when the file cannot be opened.
    public init(path: String) throws {
        self.path = path
        if path == "-" {
            fd = 0
            owned = false
        } else {
            let opened = open(path, O_RDONLY)
            guard opened >= 0 else { throw ByteSourceError(path: path, code: errno) }
            fd = opened
            owned = true
        }
    }

    public mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        while true {
            #if canImport(Glibc)
            let n = Glibc.read(fd, base, buffer.count)
            #else
            let n = Darwin.read(fd, base, buffer.count)
            #endif
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw ByteSourceError(path: path, code: errno)
        }
    }

    /// Closes the file (standard input is left open).
    public func close() {
        #if canImport(Glibc)
        if owned { _ = Glibc.close(fd) }
        #else
        if owned { _ = Darwin.close(fd) }
        #endif
    }
}

/// Bytes held in memory, handed out in chunks of at most `chunkSize` to exercise chunk boundaries.
public struct MemoryByteSource: ByteSource {
    private let bytes: [UInt8]
    private var offset = 0
    private let chunkSize: Int

    /// Creates a source over `bytes`, returning at most `chunkSize` bytes a read.
    public init(_ bytes: [UInt8], chunkSize: Int = 1 << 16) {
        self.bytes = bytes
        self.chunkSize = max(1, chunkSize)
    }

    /// Creates a source over the UTF-8 of `text`.
    public init(_ text: String, chunkSize: Int = 1 << 16) {
        self.init(Array(text.utf8), chunkSize: chunkSize)
    }

    public mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = min(buffer.count, chunkSize, bytes.count - offset)
        guard n > 0 else { return 0 }
        bytes.withUnsafeBytes { src in
            buffer.baseAddress!.copyMemory(from: src.baseAddress! + offset, byteCount: n)
        }
        offset += n
        return n
    }
}
