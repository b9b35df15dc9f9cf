import Foundation
import Logging
@testable import RiskGateServer
import Testing

@Suite("buffered access log")
struct LogLineWriterTests {
    /// A pipe whose read end the test drains itself.
    final class Pipe: @unchecked Sendable {
        let read: Int32, write: Int32
        init() throws {
            var fds: [Int32] = [0, 0]
            try #require(pipe(&fds) == 0)
            (read, write) = (fds[0], fds[1])
        }
        /// Everything readable until the write end is closed (by ``closeWrite()``, perhaps on another thread).
        func readAll() -> String {
            var bytes: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 65_536)
            while true {
                let n = chunk.withUnsafeMutableBytes { Foundation.read(read, $0.baseAddress!, $0.count) }
                if n <= 0 { break }
                bytes += chunk[0..<n]
            }
            close(read)
            return String(decoding: bytes, as: UTF8.self)
        }
        func closeWrite() { close(write) }
    }

    @Test func linesArriveInOrderAfterFlushAndClose() throws {
        let pipe = try Pipe()
        let writer = LogLineWriter(descriptor: pipe.write, interval: .seconds(60))
        for i in 0..<1_000 { writer.write(Array("line \(i)\n".utf8)) }
        // The interval is a minute: only `flush()` can have written them by now.
        writer.flush()
        writer.write(Array("last\n".utf8))
        writer.close()
        pipe.closeWrite()
        let lines = pipe.readAll().split(separator: "\n").map(String.init)
        #expect(lines == (0..<1_000).map { "line \($0)" } + ["last"])
        #expect(writer.droppedLines == 0)
    }

    /// Standard error blocked (a pipe nobody reads): requests go on, lines past the buffer are dropped and counted.
    @Test func aBlockedDescriptorNeverBlocksTheCaller() throws {
        let pipe = try Pipe()
        let drops = Counter()
        let writer = LogLineWriter(descriptor: pipe.write, capacity: 4_096, flushBytes: 1_024, interval: .milliseconds(1),
                                   onDrop: { drops.add() })
        let line = Array((String(repeating: "x", count: 99) + "\n").utf8)
        // Far more than the pipe (64 KiB) and the buffer hold together; this loop must end.
        for _ in 0..<20_000 { writer.write(line) }
        #expect(writer.droppedLines > 0)
        #expect(drops.value == writer.droppedLines)
        // Reading unblocks the writer thread; close() then writes what the buffer still holds.
        let done = DispatchSemaphore(value: 0)
        let received = Counter()
        Thread {
            received.add(pipe.readAll().utf8.count)
            done.signal()
        }.start()
        writer.close()
        pipe.closeWrite()
        done.wait()
        #expect(received.value == (20_000 - writer.droppedLines) * line.count)
    }

    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var count = 0
        func add(_ n: Int = 1) { lock.withLock { count += n } }
        var value: Int { lock.withLock { count } }
    }

    @Test func jsonLinesAreValidSortedAndEscaped() throws {
        let capture = LogCapture()
        var logger = capture.logger()
        logger[metadataKey: "hb.request.id"] = "abc"
        // Metadata never overrides the four fixed fields.
        logger.info("a \"quoted\"\tmessage\n\u{01}é", metadata: [
            "msg": "not the message", "http.status": .stringConvertible(200), "z.list": ["a", "b"],
            "a.dict": ["y": "1", "x": "2"],
        ])
        let line = try #require(capture.lines.first)
        #expect(line.hasSuffix("}\n"))
        #expect(line.hasPrefix(#"{"a.dict":{"x":"2","y":"1"},"hb.request.id":"abc","http.status":"200","label":"riskgate.test","level":"info","msg":"a \"quoted\"\tmessage\n\u0001é","ts":""#))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["msg"] as? String == "a \"quoted\"\tmessage\n\u{01}é")
        #expect(object["z.list"] as? [String] == ["a", "b"])
        let ts = try #require(object["ts"] as? String)
        #expect(ts.utf8.count == 24 && ts.hasSuffix("Z"), "\(ts)")
    }

    /// Log lines keep their spelling of control characters: `\n` `\r` `\t`, every other one `\u00xx`
    /// (backspace and form feed included, unlike JSONEncoder), slashes as they are.
    @Test func controlCharactersKeepTheirLogSpelling() throws {
        let capture = LogCapture()
        capture.logger().info("\u{08}\u{0C}\r\t\n\u{1F}/")
        let line = try #require(capture.lines.first)
        #expect(line.contains(#""msg":"\u0008\u000c\r\t\n\u001f/""#), "\(line)")
    }

    @Test func durationsAreMillisecondsWithThreeDecimals() {
        #expect(GatewayMiddleware.milliseconds(.nanoseconds(1_234_567)) == "1.235")
        #expect(GatewayMiddleware.milliseconds(.microseconds(7)) == "0.007")
        #expect(GatewayMiddleware.milliseconds(.seconds(2)) == "2000.000")
        #expect(GatewayMiddleware.milliseconds(.zero) == "0.000")
    }
}
