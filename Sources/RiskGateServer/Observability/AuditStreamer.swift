import Foundation
import Logging
import RiskGate
import RiskGateEngine
import RiskGatePolicy
import ServiceLifecycle
#if canImport(Glibc)
import Glibc
#endif

/// Where `serve --audit-stream` appends audit records as JSON lines.
public enum AuditStreamTarget: Sendable, Hashable {
    /// Standard output (`-`), for a log shipper reading the process's output.
    case standardOutput
    /// A file, created mode 0600 (records hold user ids and request signals), appended to.
    case file(String)

    /// `-` or a path, as the flag takes it.
    public init(_ text: String) { self = text == "-" ? .standardOutput : .file(text) }
}

/// Follows the audit log and appends every committed record to a JSON-lines target, in the
/// format of `riskgate audit export`, then marks it as shipped so `riskgate audit prune` may
/// delete it.
///
/// It reads committed records a page at a time, off the request path: a slow disk or a shipper
/// that stops reading delays the stream, never a decision. A file is synced before its records
/// are marked, so a record marked shipped is on disk. On restart it resumes after the last record
/// in the file (or, for standard output and a new file, after the last record marked shipped),
/// so a record may be written twice across a crash but none is skipped.
package struct AuditStreamer<Backend: DecisionBackend>: Service {
    let backend: Backend
    let target: AuditStreamTarget
    /// How long to wait when no new record was committed.
    let interval: Duration
    let logger: Logger
    let pageSize = 1_000

    package init(backend: Backend, target: AuditStreamTarget, interval: Duration = .milliseconds(200), logger: Logger) {
        self.backend = backend; self.target = target; self.interval = interval; self.logger = logger
    }

    package func run() async throws {
        let sink: AuditStreamSink
        do {
            sink = try AuditStreamSink(target)
        } catch {
            logger.error("audit stream cannot open its target", metadata: ["error": .string("\(error)")])
            throw error
        }
        defer { sink.close() }
        var position = try await startPosition(sink)
        while true {
            do {
                let copied = try await copy(after: position, into: sink)
                position = copied.lastID
                if copied.count == pageSize { continue }
            } catch {
                logger.error("audit stream write failed; retrying", metadata: ["error": .string("\(error)")])
            }
            if Task.isCancelled || Task.isShuttingDownGracefully { break }
            let interval = interval
            do {
                try await cancelOnGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                break
            }
        }
        // What was committed before the stop still goes out, read outside the cancelled task.
        let final = self, last = position
        _ = try? await Task.detached { try await final.copy(after: last, into: sink) }.value
    }

    private func startPosition(_ sink: AuditStreamSink) async throws -> Int64 {
        if let last = sink.lastRecordID { return last }
        return try await backend.auditExportedThrough()
    }

    /// Copies every record after `position`, a page at a time; returns the count and last id of the last page.
    private func copy(after position: Int64, into sink: AuditStreamSink) async throws -> (count: Int, lastID: Int64) {
        let records = try await backend.auditRecords(after: position, limit: pageSize)
        guard let last = records.last else { return (0, position) }
        var text = ""
        for record in records { text += AuditExport.line(record) + "\n" }
        let bytes = Data(text.utf8)
        try await BlockingWork.run { try sink.append(bytes) }
        try await backend.markAuditExported(through: last.id)
        return (records.count, last.id)
    }
}

/// The descriptor the stream writes to.
final class AuditStreamSink: @unchecked Sendable {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    private let fd: Int32
    private let ownsDescriptor: Bool
    /// The id in the file's last complete line when it was opened, if any.
    let lastRecordID: Int64?

    init(_ target: AuditStreamTarget) throws {
        switch target {
        case .standardOutput:
            fd = STDOUT_FILENO
            ownsDescriptor = false
            lastRecordID = nil
        case .file(let path):
            let opened = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
            guard opened >= 0 else { throw Failure(description: "cannot open `\(path)`: \(String(cString: strerror(errno)))") }
            // An existing file keeps its mode on open: tighten it.
            fchmod(opened, 0o600)
            fd = opened
            ownsDescriptor = true
            lastRecordID = Self.lastID(inFileAt: path)
        }
    }

    /// The `id` of the last complete line of a JSON-lines file (reading only its tail).
    static func lastID(inFileAt path: String) -> Int64? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard let size = try? handle.seekToEnd(), size > 0 else { return nil }
        let tail = min(size, 1 << 20)
        try? handle.seek(toOffset: size - tail)
        guard let data = try? handle.readToEnd() else { return nil }
        let lines = data.split(separator: UInt8(ascii: "\n"))
        // A line cut short by a crash has no newline after it and does not parse: the one before counts.
        for line in lines.reversed() {
            let value = line.withUnsafeBytes { JSONValue(parsing: $0) }
            if case .object(let object)? = value, case .number(let id)? = object["id"], id == id.rounded(), abs(id) <= 9_007_199_254_740_992 { return Int64(id) }
        }
        return nil
    }

    func append(_ data: Data) throws {
        try data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw Failure(description: "write failed: \(String(cString: strerror(errno)))")
                }
                offset += n
            }
        }
        // Synced before the records are marked shipped; a pipe or terminal cannot be synced (EINVAL).
        if ownsDescriptor && fsync(fd) != 0 && errno != EINVAL {
            throw Failure(description: "fsync failed: \(String(cString: strerror(errno)))")
        }
    }

    func close() { if ownsDescriptor { _ = Glibc.close(fd) } }
}
