import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// Posts signed payloads to the webhook over async-http-client.
///
/// Redirects are not followed: a message holding a code goes to the configured URL or nowhere.
final class WebhookClient: Sendable {
    /// How one attempt ended.
    enum Outcome: Sendable, Equatable {
        /// A 2xx answer.
        case accepted(status: Int)
        /// Anything else; `reason` names the failure without the URL, the code or the destination.
        case failed(reason: String)
    }

    private let http: HTTPClient
    private let url: String
    private let timeout: Duration

    init(url: URL, timeout: Duration) {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.timeout = .init(connect: .nanoseconds(timeout.nanoseconds), read: .nanoseconds(timeout.nanoseconds))
        http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        self.url = url.absoluteString
        self.timeout = timeout
    }

    /// Posts `body` with `headers`; never throws (a failure is an outcome).
    func post(body: [UInt8], headers: [(String, String)]) async -> Outcome {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "riskgate-delivery")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        let deadline = NIODeadline.now() + .nanoseconds(timeout.nanoseconds)
        do {
            let response = try await http.execute(request, deadline: deadline)
            // Read (and drop) the answer, so the connection can be kept for the next message.
            _ = try? await response.body.collect(upTo: 64 * 1024)
            let status = Int(response.status.code)
            return (200..<300).contains(status) ? .accepted(status: status) : .failed(reason: "http \(status)")
        } catch {
            return .failed(reason: Self.reason(error))
        }
    }

    /// A short, log-safe name for a failure.
    static func reason(_ error: any Error) -> String {
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout, .connectTimeout, .writeTimeout, .tlsHandshakeTimeout, .getConnectionFromPoolTimeout:
                return "timeout"
            case .remoteConnectionClosed: return "connection closed"
            case .cancelled: return "cancelled"
            default: return "request failed"
            }
        }
        if error is NIOConnectionError || error is IOError { return "connection failed" }
        if error is CancellationError { return "cancelled" }
        return "request failed"
    }

    func shutdown() async {
        try? await http.shutdown()
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
