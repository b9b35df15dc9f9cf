import Foundation
import HummingbirdTesting
import Logging
import RiskGateServer
import ServiceLifecycle
import Testing

@Suite("HTTP service, listening on 127.0.0.1")
struct LiveServerTests {
    @Test func decisionOverTheNetwork() async throws {
        let h = try Harness()
        try await h.app.test(.live) { client in
            #expect(client.port != nil)
            let response = try await client.send(.post, "/v1/decisions", key: TestKeys.decide,
                                                 body: #"{"user": "u-1", "device": {"id": "d-1"}}"#)
            #expect(response.status == .ok)
            #expect(response.json["outcome"] as? String == "passive")
            let bad = try await client.send(.post, "/v1/decisions", key: TestKeys.decide, body: #"{"user": 1}"#)
            expectError(bad, .badRequest, code: "invalid_field", field: "user")
            let health = try await client.send(.get, "/healthz")
            #expect(health.status == .ok)
        }
    }

    /// Runs `body` with the port of a server started in a service group, then shuts it down.
    func withServer(_ h: Harness, configuration: ServerConfiguration, _ body: @Sendable (Int, ServiceGroup) async throws -> Void)
        async throws
    {
        let (ports, portSink) = AsyncStream<Int>.makeStream()
        let app = try makeApplication(backend: h.backend, keys: try TestKeys.store(), configuration: configuration,
                                  metrics: h.metrics, logger: h.logs.logger(), onServerRunning: { portSink.yield($0) })
        let group = ServiceGroup(configuration: .init(services: [app], logger: h.logs.logger()))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            try await body(port, group)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    @Test func slowBodyGets408() async throws {
        let h = try Harness()
        try await withServer(h, configuration: .init(port: 0, bodyTimeout: .milliseconds(300))) { port, _ in
            let head = "POST /v1/decisions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(TestKeys.decide)\r\nContent-Length: 40\r\n\r\n"
            let reply = await RawHTTP.exchange(port: port, pieces: [.init(bytes: Array((head + #"{"user": "#).utf8))])
            #expect(reply.hasPrefix("HTTP/1.1 408"), "\(reply)")
            #expect(reply.contains("request_timeout"))
        }
        #expect(await h.backend.decisions.isEmpty)
    }

    @Test func declaredOversizeBodyGets413WithoutReading() async throws {
        let h = try Harness()
        try await withServer(h, configuration: .init(port: 0)) { port, _ in
            let head = "POST /v1/decisions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(TestKeys.decide)\r\nContent-Length: 10000000\r\n\r\n"
            let start = ContinuousClock.now
            let reply = await RawHTTP.exchange(port: port, pieces: [.init(bytes: Array(head.utf8))])
            #expect(ContinuousClock.now - start < .seconds(9), "the server closes the connection instead of draining the body")
            #expect(reply.hasPrefix("HTTP/1.1 413"), "\(reply)")
            #expect(reply.contains("body_too_large"))
        }
    }

    /// A chunked body has no `Content-Length` to refuse up front: it is refused once the bytes read
    /// pass the limit, with the same 413 and a closed connection (it used to be a 500).
    @Test(arguments: [("POST", "/v1/decisions", TestKeys.decide, 70_000),
                      ("POST", "/v1/challenges/ch-1/verify", TestKeys.verify, 70_000),
                      ("PUT", "/v1/policy/shadow", TestKeys.admin, (1 << 20) + 10)])
    func chunkedOversizeBodyGets413(method: String, path: String, key: String, size: Int) async throws {
        let h = try Harness()
        try await withServer(h, configuration: .init(port: 0)) { port, _ in
            let head = "\(method) \(path) HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(key)\r\nTransfer-Encoding: chunked\r\n\r\n"
            let chunk = String(size, radix: 16) + "\r\n" + String(repeating: "a", count: size) + "\r\n0\r\n\r\n"
            let start = ContinuousClock.now
            let reply = await RawHTTP.exchange(port: port, pieces: [.init(bytes: Array((head + chunk).utf8))])
            #expect(ContinuousClock.now - start < .seconds(9), "the server closes the connection after answering")
            #expect(reply.hasPrefix("HTTP/1.1 413"), "\(reply.prefix(300))")
            #expect(reply.contains("body_too_large"))
            #expect(reply.contains("Connection: close"))
            #expect(!reply.contains("internal_error"))
        }
        #expect(await h.backend.decisions.isEmpty)
        #expect(!h.logs.text.contains("NIOTooManyBytesError"))
    }

    @Test func idleConnectionIsClosed() async throws {
        let h = try Harness()
        try await withServer(h, configuration: .init(port: 0, idleTimeout: .milliseconds(300))) { port, _ in
            let start = ContinuousClock.now
            let reply = await RawHTTP.exchange(port: port, pieces: [.init(bytes: Array("GET /healthz HTTP/1.1\r\nHo".utf8))])
            #expect(reply.isEmpty, "\(reply)")
            #expect(ContinuousClock.now - start < .seconds(9), "closed by the idle timeout, not the client's read timeout")
        }
    }

    @Test func gracefulShutdownFinishesInFlightRequests() async throws {
        let h = try Harness()
        await h.backend.holdDecisionsUntilReleased()
        try await withServer(h, configuration: .init(port: 0)) { port, group in
            let body = #"{"user": "u-1", "device": {"id": "d"}}"#
            let request = "POST /v1/decisions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(TestKeys.decide)\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
            async let reply = RawHTTP.exchange(port: port, pieces: [.init(bytes: Array(request.utf8))])
            var entered = h.backend.decideEntered.makeAsyncIterator()
            _ = await entered.next()
            await group.triggerGracefulShutdown()
            await h.backend.release()
            let text = await reply
            #expect(text.hasPrefix("HTTP/1.1 200"), "\(text)")
            #expect(text.contains("\"outcome\":\"passive\""))
        }
        #expect(await h.backend.decisions.count == 1)
    }
}
