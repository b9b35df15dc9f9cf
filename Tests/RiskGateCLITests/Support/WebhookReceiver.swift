import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A webhook receiver on 127.0.0.1 for the `deliver` tests: answers each POST with the status the
/// script gives for its number (0-based) and records what it got.
///
/// Just enough HTTP/1.1 for one request a connection (`Connection: close`), on a thread of its own;
/// this test target links none of the server's modules, and `riskgate` is what is under test.
final class WebhookReceiver: @unchecked Sendable {
    struct Request: Sendable {
        var headers: [String: String]
        var body: Data
        var status: Int
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
    }

    struct Failure: Error {}

    let port: Int
    private let listener: Int32
    private let lock = NSLock()
    private var received: [Request] = []
    private var stopped = false
    private let answer: @Sendable (Int) -> Int

    init(answer: @escaping @Sendable (Int) -> Int) throws {
        self.answer = answer
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure() }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ready = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && listen(fd, 16) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard ready else { close(fd); throw Failure() }
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [self] in serve() }
        thread.start()
    }

    var url: String { "http://127.0.0.1:\(port)/hook" }
    var requests: [Request] { lock.withLock { received } }

    /// Stops accepting; the thread ends at its next wake-up.
    func stop() {
        lock.withLock { stopped = true }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private func serve() {
        while !lock.withLock({ stopped }) {
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { if errno == EINTR { continue } else { return } }
            handle(connection)
            close(connection)
        }
    }

    private func handle(_ connection: Int32) {
        var limit = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        var headerEnd: Int?
        var contentLength = 0
        while true {
            if let end = headerEnd, bytes.count >= end + contentLength { break }
            let n = recv(connection, &buffer, buffer.count, 0)
            guard n > 0 else { return }
            bytes += buffer[0..<n]
            if headerEnd == nil, let range = Data(bytes).range(of: Data("\r\n\r\n".utf8)) {
                headerEnd = range.upperBound
                let head = String(decoding: bytes[0..<range.lowerBound], as: UTF8.self)
                for line in head.split(separator: "\r\n") where line.lowercased().hasPrefix("content-length:") {
                    contentLength = Int(line.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) ?? 0
                }
            }
        }
        let end = headerEnd ?? bytes.count
        var headers: [String: String] = [:]
        for line in String(decoding: bytes[0..<end], as: UTF8.self).split(separator: "\r\n").dropFirst() {
            let pair = line.split(separator: ":", maxSplits: 1)
            if pair.count == 2 { headers[pair[0].lowercased()] = pair[1].trimmingCharacters(in: .whitespaces) }
        }
        let status = lock.withLock {
            let status = answer(received.count)
            received.append(Request(headers: headers, body: Data(bytes[end..<min(bytes.count, end + contentLength)]), status: status))
            return status
        }
        let reply = Array("HTTP/1.1 \(status) Status\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".utf8)
        _ = reply.withUnsafeBytes { send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }
}
