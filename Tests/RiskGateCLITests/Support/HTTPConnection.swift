import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One keep-alive HTTP/1.1 connection to a server on 127.0.0.1, with blocking calls.
///
/// Just enough HTTP for the crash test: requests with a `Content-Length` body, responses with a
/// `Content-Length` body (what `riskgate serve` sends). A client library would retry, pool or
/// buffer in ways that blur the one thing the test needs to know exactly: whether a complete
/// response came back before the server died. Call it from a thread of its own
/// (``DedicatedThread``), never from Swift concurrency's shared pool.
final class HTTPConnection {
    /// A complete response.
    struct Response {
        var status: Int
        var headers: [String: String]
        var body: Data

        /// The body parsed as a JSON object, or `nil`.
        var jsonObject: [String: Any]? { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] }
    }

    /// Why an exchange did not end in a complete response.
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    private let socket: Int32
    private var buffered: [UInt8] = []

    /// Connects to 127.0.0.1:`port`.
    ///
    /// - Parameter timeout: seconds a send or a read may block before the exchange fails.
    /// - Throws: ``Failure`` when the connection is refused.
    init(port: Int, timeout: Int = 10) throws {
        socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw Failure(description: "socket: \(String(cString: strerror(errno)))") }
        var limit = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(socket, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            let reason = String(cString: strerror(errno))
            close(socket)
            throw Failure(description: "connect to 127.0.0.1:\(port): \(reason)")
        }
    }

    deinit { close(socket) }

    /// Sends one request and reads its response.
    ///
    /// - Throws: ``Failure`` when the request cannot be sent whole, or the connection ends (or
    ///   times out) before the response is complete.
    func send(_ method: String, _ path: String, headers: [String: String] = [:], body: Data = Data()) throws -> Response {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: \(body.count)\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        try write(Array((head + "\r\n").utf8) + body)

        let headEnd = try readUntil([13, 10, 13, 10])
        let lines = String(decoding: headEnd, as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, statusParts[0].hasPrefix("HTTP/1."), let status = Int(statusParts[1]) else {
            throw Failure(description: "not an HTTP response: `\(lines[0])`")
        }
        var fields: [String: String] = [:]
        for line in lines.dropFirst() where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        guard let length = fields["content-length"].flatMap({ Int($0) }) else {
            throw Failure(description: "a response without Content-Length (status \(status))")
        }
        return Response(status: status, headers: fields, body: Data(try read(count: length)))
    }

    private func write(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            // MSG_NOSIGNAL: a server that died makes this an EPIPE, not a SIGPIPE ending the tests.
            let count = bytes[sent...].withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { throw Failure(description: "send: \(String(cString: strerror(errno)))") }
            sent += count
        }
    }

    /// Reads more bytes into the buffer; throws at end of file, on an error or on the timeout.
    private func fill() throws {
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
            if count < 0 && errno == EINTR { continue }
            if count == 0 { throw Failure(description: "the server closed the connection before the response was complete") }
            guard count > 0 else { throw Failure(description: "recv: \(String(cString: strerror(errno)))") }
            buffered += chunk[0..<count]
            return
        }
    }

    /// The bytes up to and including `delimiter`.
    private func readUntil(_ delimiter: [UInt8]) throws -> [UInt8] {
        var searchFrom = 0
        while true {
            if buffered.count >= delimiter.count {
                for start in searchFrom...(buffered.count - delimiter.count)
                where buffered[start..<(start + delimiter.count)].elementsEqual(delimiter) {
                    let found = Array(buffered[..<(start + delimiter.count)])
                    buffered.removeFirst(start + delimiter.count)
                    return found
                }
                searchFrom = buffered.count - delimiter.count + 1
            }
            try fill()
        }
    }

    /// The next `count` bytes.
    private func read(count: Int) throws -> [UInt8] {
        while buffered.count < count { try fill() }
        let bytes = Array(buffered[..<count])
        buffered.removeFirst(count)
        return bytes
    }
}
