import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Everything a child process writes to one of its pipes, read on a thread of its own as it arrives.
///
/// Reading while the child runs keeps a chatty child from blocking on a full pipe (64 KiB on Linux)
/// while the parent waits for something else, and it lets a test look at the output before the
/// child ends: the crash tests count the ids a writer has acknowledged so far, then kill it.
final class PipeCapture: @unchecked Sendable {
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var bytes = Data()
    private var ended = false

    /// Starts reading `handle` on a new thread until end of file, then closes it.
    ///
    /// The reads are plain `read(2)` calls, which return whatever the pipe holds as soon as it holds
    /// anything; `FileHandle.readToEnd()` would hand nothing over before the child ends.
    init(reading handle: FileHandle) {
        Thread.detachNewThread { [self] in
            let descriptor = handle.fileDescriptor
            var buffer = [UInt8](repeating: 0, count: 64 * 1024)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { break }
                condition.withLock {
                    bytes.append(contentsOf: buffer[0..<count])
                    condition.broadcast()
                }
            }
            try? handle.close()
            condition.withLock {
                ended = true
                condition.broadcast()
            }
        }
    }

    /// The bytes read so far.
    var data: Data { condition.withLock { bytes } }

    /// The lines read so far that are complete, i.e. followed by a newline; a last line the child
    /// had not finished writing (or was killed while writing) is left out.
    var completeLines: [String] { Self.completeLines(of: data) }

    /// The lines of `data` that are followed by a newline, without it; the bytes after the last
    /// newline are left out.
    static func completeLines(of data: Data) -> [String] {
        guard let lastNewline = data.lastIndex(of: UInt8(ascii: "\n")) else { return [] }
        return data[..<lastNewline].split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            .map { String(decoding: $0, as: UTF8.self) }
    }

    /// Blocks until the pipe is at end of file (every process holding its write end has closed it
    /// or ended) or `deadline` passes; returns whether it ended.
    @discardableResult
    func waitForEnd(until deadline: Date) -> Bool {
        condition.withLock {
            while !ended {
                if !condition.wait(until: deadline) { return ended }
            }
            return true
        }
    }
}
