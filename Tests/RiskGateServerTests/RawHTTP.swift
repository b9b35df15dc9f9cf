import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A raw TCP client for what HTTP clients cannot do: send a request in pieces with pauses, or stop
/// half way. Blocking socket calls run on their own thread, so the server's executors stay free.
enum RawHTTP {
    struct Piece: Sendable {
        var bytes: [UInt8]
        /// Pause before sending this piece.
        var pauseMilliseconds: Int = 0
    }

    /// Sends `pieces` to 127.0.0.1:`port`, then reads until the server closes or `readTimeout` passes.
    /// Returns what was read (empty when the server closed without answering).
    static func exchange(port: Int, pieces: [Piece], readTimeoutSeconds: Int = 10) async -> String {
        await withCheckedContinuation { continuation in
            let thread = Thread {
                continuation.resume(returning: run(port: port, pieces: pieces, readTimeoutSeconds: readTimeoutSeconds))
            }
            thread.start()
        }
    }

    private static func run(port: Int, pieces: [Piece], readTimeoutSeconds: Int) -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return "socket failed" }
        defer { close(fd) }
        var timeout = timeval(tv_sec: readTimeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return "connect failed" }
        for piece in pieces {
            if piece.pauseMilliseconds > 0 { usleep(useconds_t(piece.pauseMilliseconds * 1000)) }
            _ = piece.bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            received.append(contentsOf: buffer[0..<n])
        }
        return String(decoding: received, as: UTF8.self)
    }
}
