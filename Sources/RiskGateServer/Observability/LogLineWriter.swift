import Foundation

/// A buffered writer of log lines to a file descriptor, off the request path.
///
/// A request appends its line to an in-memory buffer under a short lock and returns; a dedicated
/// thread writes the buffer out when it holds `flushBytes`, after `interval` otherwise, and when
/// the writer is flushed or closed. A request never waits for the descriptor: when the buffer
/// already holds `capacity` bytes (standard error blocked, or written more slowly than lines
/// arrive), the line is dropped and counted (``droppedLines``, and `onDrop`, which the service
/// turns into `riskgate_log_lines_dropped_total`).
///
/// Lines still in the buffer are lost if the process is killed (`kill -9`); a normal stop
/// (SIGTERM, SIGINT) writes them out in ``close()``.
public final class LogLineWriter: @unchecked Sendable {
    private let descriptor: Int32
    private let capacity: Int
    private let flushBytes: Int
    private let interval: TimeInterval
    private let onDrop: (@Sendable () -> Void)?
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var pending: [UInt8] = []
    private var dropped = 0
    /// Bumped by each append; `flush()` waits until the thread has written past its value.
    private var appended = 0
    private var written = 0
    private var flushRequested = false
    private var closing = false
    private var finished = false

    /// Starts the writing thread.
    /// - Parameters:
    ///   - descriptor: where lines go (standard error by default); not closed by ``close()``.
    ///   - capacity: the most bytes held before lines are dropped.
    ///   - flushBytes: a buffer this full is written out at once.
    ///   - interval: the longest a line waits in the buffer.
    ///   - onDrop: called (outside the lock) for each dropped line.
    public init(descriptor: Int32 = STDERR_FILENO, capacity: Int = 4 << 20, flushBytes: Int = 64 << 10,
                interval: Duration = .milliseconds(100), onDrop: (@Sendable () -> Void)? = nil) {
        self.descriptor = descriptor
        self.capacity = max(capacity, 1)
        self.flushBytes = max(min(flushBytes, capacity), 1)
        let (seconds, attoseconds) = interval.components
        self.interval = max(Double(seconds) + Double(attoseconds) / 1e18, 0.001)
        self.onDrop = onDrop
        pending.reserveCapacity(self.flushBytes * 2)
        let thread = Thread { [self] in run() }
        thread.name = "riskgate-log-writer"
        thread.start()
    }

    /// Lines dropped because the buffer was full.
    public var droppedLines: Int { condition.withLock { dropped } }

    /// Queues one line (with its newline); never blocks on I/O.
    public func write(_ line: UnsafeRawBufferPointer) {
        condition.lock()
        guard !closing, pending.count + line.count <= capacity else {
            dropped += 1
            condition.unlock()
            onDrop?()
            return
        }
        pending.append(contentsOf: line)
        appended += 1
        let wake = pending.count == line.count || pending.count >= flushBytes
        condition.unlock()
        if wake { condition.signal() }
    }

    /// Queues one line (with its newline); never blocks on I/O.
    public func write(_ line: [UInt8]) {
        line.withUnsafeBytes { write($0) }
    }

    /// Waits until every line queued before the call has been handed to the descriptor.
    public func flush() {
        condition.lock()
        let target = appended
        while written < target && !finished {
            flushRequested = true
            condition.broadcast()
            condition.wait()
        }
        condition.unlock()
    }

    /// Writes out what is queued and stops the thread; later lines are dropped.
    public func close() {
        condition.lock()
        closing = true
        condition.broadcast()
        while !finished { condition.wait() }
        condition.unlock()
    }

    private func run() {
        var out: [UInt8] = []
        out.reserveCapacity(flushBytes * 2)
        condition.lock()
        while true {
            // Idle: sleep until the first line arrives (no polling).
            while pending.isEmpty && !closing && !flushRequested { condition.wait() }
            // Lines are waiting: give others up to `interval` to join them, unless the buffer is full enough.
            let deadline = Date(timeIntervalSinceNow: interval)
            while !closing && !flushRequested && pending.count < flushBytes && condition.wait(until: deadline) {}
            flushRequested = false
            swap(&pending, &out)
            let through = appended
            let stop = closing
            condition.unlock()
            if !out.isEmpty { writeAll(out) }
            out.removeAll(keepingCapacity: true)
            condition.lock()
            written = through
            condition.broadcast()
            if stop && pending.isEmpty { break }
        }
        finished = true
        condition.broadcast()
        condition.unlock()
    }

    private func writeAll(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = Foundation.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if n > 0 { offset += n; continue }
                if n < 0 && errno == EINTR { continue }
                // A closed or broken descriptor: the lines cannot go anywhere; drop them.
                return
            }
        }
    }
}
