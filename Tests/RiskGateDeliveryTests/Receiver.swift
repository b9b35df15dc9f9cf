import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
#if canImport(Glibc)
import Glibc
#endif

/// A request the test receiver got, and what it answered.
struct ReceivedRequest: Sendable {
    var body: [UInt8]
    var signature: String?
    var idempotencyKey: String?
    var contentType: String?
    var status: Int

    /// The posted JSON document.
    var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:] }
    var accepted: Bool { (200..<300).contains(status) }
}

/// What the receiver has seen; the status of request number `n` (0-based) comes from `answer`.
final class ReceiverLog: @unchecked Sendable {
    private let lock = NSLock()
    private var received: [ReceivedRequest] = []
    private let answer: @Sendable (Int, [UInt8]) -> Int

    init(answer: @escaping @Sendable (Int, [UInt8]) -> Int) { self.answer = answer }

    func record(body: [UInt8], headers: HTTPFields) -> Int {
        lock.withLock {
            let status = answer(received.count, body)
            func header(_ name: String) -> String? {
                headers.first { $0.name.rawName.lowercased() == name.lowercased() }?.value
            }
            received.append(ReceivedRequest(
                body: body, signature: header("RiskGate-Signature"), idempotencyKey: header("Idempotency-Key"),
                contentType: header("Content-Type"), status: status))
            return status
        }
    }

    var requests: [ReceivedRequest] { lock.withLock { received } }
}

/// Runs `body` with the URL of a real HTTP receiver listening on 127.0.0.1 (a Hummingbird app)
/// that answers each POST with the status `answer` gives, then stops the receiver.
func withReceiver<T: Sendable>(answer: @escaping @Sendable (Int, [UInt8]) -> Int,
                               _ body: @Sendable (URL, ReceiverLog) async throws -> T) async throws -> T {
    let log = ReceiverLog(answer: answer)
    let router = Router()
    router.post("/hook") { request, _ -> Response in
        let bytes = try await request.body.collect(upTo: 1 << 20)
        let status = log.record(body: Array(bytes.readableBytesView), headers: request.headers)
        return Response(status: .init(code: status))
    }
    var logger = Logger(label: "test.receiver")
    logger.logLevel = .error
    let (ports, portSink) = AsyncStream<Int>.makeStream()
    let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                          onServerRunning: { portSink.yield($0.localAddress?.port ?? 0) }, logger: logger)
    let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
    return try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw ReceiverError.noPort }
        do {
            let result = try await body(URL(string: "http://127.0.0.1:\(port)/hook")!, log)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return result
        } catch {
            await group.triggerGracefulShutdown()
            try? await tasks.waitForAll()
            throw error
        }
    }
}

enum ReceiverError: Error { case noPort, socket }

/// A receiver that never answers: a socket on 127.0.0.1 that listens but never accepts, so a
/// connection completes (in the kernel's backlog) and the request waits for an answer forever.
final class SilentReceiver: @unchecked Sendable {
    let url: URL
    private let fd: Int32

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ReceiverError.socket }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else { close(fd); throw ReceiverError.socket }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        url = URL(string: "http://127.0.0.1:\(UInt16(bigEndian: address.sin_port))/hook")!
        self.fd = fd
    }

    deinit { close(fd) }
}
