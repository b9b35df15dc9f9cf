import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import RiskGateServer
import Testing

/// Keys used by tests and by the examples in docs/http-api.md.
enum TestKeys {
    static let decide = "test-decide-key-0001"
    static let verify = "test-verify-key-0002"
    static let admin = "test-admin-key-00003"
    static let all = "test-all-scopes-0004"
    static let metrics = "test-metrics-key-005"
    /// Held in the file only as `sha256:` and its digest (`printf %s KEY | sha256sum`).
    static let digested = "test-digest-key-0005"
    static let digestedSHA256 = "c7b7f907384c2d579c994b7401a39d200d2fef30862d7dbc6f12cafebf462504"

    static let file = """
        # keys for tests and docs/http-api.md
        \(decide) decide
        \(verify) verify          # challenge front end
        \(admin) admin
        \(all) decide,verify,admin,metrics
        \(metrics) metrics         # Prometheus
        sha256:\(digestedSHA256) decide

        """

    static func store() throws -> APIKeyStore { try APIKeyStore(parsing: file) }
}

/// Collects log lines so tests can check what the service writes.
final class LogCapture: @unchecked Sendable {
    private let lock = NSLock()
    private var _lines: [String] = []
    var lines: [String] { lock.withLock { _lines } }
    var text: String { lines.joined() }

    func logger() -> Logger {
        var logger = Logger(label: "riskgate.test") { label in
            JSONLogHandler(label: label) { [self] line in lock.withLock { _lines.append(line) } }
        }
        logger.logLevel = .trace
        return logger
    }
}

/// A test application over a fresh ``TestBackend``.
struct Harness {
    let backend: TestBackend
    let metrics: ServerMetrics
    let logs: LogCapture
    let app: Application<RouterResponder<ServerContext>>

    init(configuration: ServerConfiguration = .init(port: 0), backend: TestBackend = TestBackend()) throws {
        self.backend = backend
        metrics = ServerMetrics()
        logs = LogCapture()
        app = try makeApplication(backend: backend, keys: try TestKeys.store(), configuration: configuration,
                              metrics: metrics, logger: logs.logger())
    }
}

extension TestClientProtocol {
    /// Sends a request with an optional bearer key and body.
    func send(_ method: HTTPRequest.Method, _ uri: String, key: String? = nil, body: String? = nil,
              headers extra: HTTPFields = [:]) async throws -> TestResponse {
        var headers = extra
        if let key { headers[.authorization] = "Bearer \(key)" }
        if body != nil, headers[.contentType] == nil { headers[.contentType] = "application/json" }
        return try await execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
    }
}

extension TestResponse {
    var text: String { String(buffer: body) }
    /// The body as a JSON object (empty when it is not one).
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
    }
    var errorCode: String? { (json["error"] as? [String: Any])?["code"] as? String }
    var errorField: String? { (json["error"] as? [String: Any])?["field"] as? String }
}

/// Checks a JSON error response's status, code and field, pointing failures at the caller.
func expectError(_ response: TestResponse, _ status: HTTPResponse.Status, code: String, field: String? = nil,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(response.status == status, "body: \(response.text)", sourceLocation: sourceLocation)
    #expect(response.errorCode == code, "body: \(response.text)", sourceLocation: sourceLocation)
    if let field {
        #expect(response.errorField == field, "body: \(response.text)", sourceLocation: sourceLocation)
    }
    #expect(response.headers[.contentType]?.hasPrefix("application/json") == true, sourceLocation: sourceLocation)
}
