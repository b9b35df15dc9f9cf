import Foundation
import Metrics
import MetricsTestKit
import RiskGate
import RiskGateEngine
import RiskGatePolicy
import ServiceLifecycle
import Testing
@testable import RiskGateDelivery

@Suite("Webhook delivery against a receiver on 127.0.0.1")
struct OutboxDelivererTests {
    /// Checks the signature the way a receiver should: HMAC-SHA256 of "{t}.{body}", compared in constant time.
    func expectSigned(_ request: ReceivedRequest, sourceLocation: SourceLocation = #_sourceLocation) {
        let header = request.signature ?? ""
        let parts = Dictionary(header.split(separator: ",").compactMap { part -> (String, String)? in
            let pair = part.split(separator: "=", maxSplits: 1)
            return pair.count == 2 ? (String(pair[0]), String(pair[1])) : nil
        }, uniquingKeysWith: { first, _ in first })
        let expected = HMACSHA256.authenticate(key: testSecret, message: Array("\(parts["t"] ?? "").".utf8) + request.body)
        #expect(constantTimeEquals([UInt8](hexString: parts["v1"] ?? "") ?? [], expected), "bad signature `\(header)`",
                sourceLocation: sourceLocation)
        #expect(request.idempotencyKey != nil && request.idempotencyKey == request.json["idempotency_key"] as? String,
                sourceLocation: sourceLocation)
        #expect(request.contentType == "application/json", sourceLocation: sourceLocation)
    }

    /// The held-out case: a receiver that answers 500 twice, then 200, gets each OTP exactly once,
    /// signed; the retries keep each message's idempotency key, and no code reaches a log.
    @Test func receiverFailingTwiceGetsEachCodeOnce() async throws {
        let (store, folder) = try temporaryStore()
        defer { try? FileManager.default.removeItem(at: folder) }
        let clock = ManualClock()
        let codes = ["314159", "271828", "161803"]
        let destinations = ["+4915111111111", "+4915122222222", "alice@example.com"]
        try store.commit(StateChange(outbox: [
            otpMessage(user: "u-a", code: codes[0], challenge: "ch-a1", destination: destinations[0], created: clock.now(), keyring: store.secrets),
            otpMessage(user: "u-b", code: codes[1], challenge: "ch-b1", destination: destinations[1], created: clock.now(), keyring: store.secrets),
            otpMessage(user: "u-a", code: codes[2], challenge: "ch-a2", destination: destinations[2], created: clock.now(), keyring: store.secrets),
        ]))
        let metrics = TestMetrics()
        let logs = CapturedLogs()
        let received = try await withReceiver(answer: { n, _ in n < 2 ? 500 : 200 }) { url, log in
            let deliverer = manualDeliverer(store: store, url: url, clock: clock, metrics: DeliveryMetrics(factory: metrics), logs: logs)
            let pass = try await deliverer.drain()
            await deliverer.shutdown()
            #expect(pass.sent == 3 && pass.retried == 2 && pass.deadLettered == 0 && pass.expired == 0)
            return log.requests
        }
        #expect(received.count == 5)
        let accepted = received.filter(\.accepted)
        #expect(accepted.map { $0.json["challenge"] as? String }.sorted { ($0 ?? "") < ($1 ?? "") } == ["ch-a1", "ch-a2", "ch-b1"])
        #expect(Set(accepted.compactMap(\.idempotencyKey)).count == 3, "each message accepted once")
        for request in received { expectSigned(request) }
        for request in accepted {
            let body = try #require(request.json["body"] as? [String: Any])
            let challenge = request.json["challenge"] as? String
            #expect(body["code"] as? String == ["ch-a1": codes[0], "ch-b1": codes[1], "ch-a2": codes[2]][challenge ?? ""])
            #expect(body["sealed_code"] == nil)
            #expect(request.json["kind"] as? String == "otp" && request.json["channel"] as? String == "sms")
        }
        // A failed request's key is the key its message was finally accepted under.
        for failed in received where !failed.accepted {
            #expect(accepted.contains { $0.idempotencyKey == failed.idempotencyKey && $0.json["attempt"] as? Int ?? 0 > 1 })
        }
        // u-a's second message was not posted before its first was accepted.
        let firstA1Accepted = try #require(received.firstIndex { $0.accepted && $0.json["challenge"] as? String == "ch-a1" })
        let firstA2 = try #require(received.firstIndex { $0.json["challenge"] as? String == "ch-a2" })
        #expect(firstA2 > firstA1Accepted)
        #expect(try store.outbox(limit: 10).isEmpty)
        #expect(try store.deadLetters(limit: 10).isEmpty)
        #expect(try metrics.expectCounter("riskgate_delivery_sent_total").totalValue == 3)
        #expect(try metrics.expectCounter("riskgate_delivery_retries_total").totalValue == 2)
        #expect(try metrics.expectCounter("riskgate_delivery_dead_letters_total").totalValue == 0)
        let lines = logs.all
        #expect(lines.contains { $0.contains("message delivered") })
        for secret in codes + destinations + [String(decoding: testSecret, as: UTF8.self)] {
            #expect(!lines.contains { $0.contains(secret) }, "`\(secret)` reached a log")
        }
    }

    /// A receiver that never answers: each attempt times out, and the last moves the message to
    /// the dead letters, from where an operator sends it back under the same id.
    @Test(arguments: [false, true])
    func silentReceiverDeadLetters(sqlite: Bool) async throws {
        let (sqliteStore, folder) = try temporaryStore()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store: any StateStore = sqlite ? sqliteStore : MemoryStateStore()
        let clock = ManualClock()
        try store.commit(StateChange(outbox: [
            otpMessage(user: "u-1", code: "555123", challenge: "ch-1", destination: "+4915100000000", created: clock.now(),
                       ttl: 3600, keyring: store.secrets),
        ]))
        let silent = try SilentReceiver()
        let metrics = TestMetrics()
        let logs = CapturedLogs()
        let deliverer = manualDeliverer(store: store, url: silent.url, clock: clock, maxAttempts: 3, timeout: .milliseconds(300),
                                        metrics: DeliveryMetrics(factory: metrics), logs: logs)
        let pass = try await deliverer.drain()
        await deliverer.shutdown()
        #expect(pass.sent == 0 && pass.retried == 2 && pass.deadLettered == 1)
        #expect(try store.outbox(limit: 10).isEmpty)
        let letters = try store.deadLetters(limit: 10)
        #expect(letters.count == 1)
        let letter = try #require(letters.first)
        #expect(letter.reason == "timeout" && letter.message.attempts == 3 && letter.message.challenge == "ch-1")
        #expect(letter.message.body.contains("sealed_code") && !letter.message.body.contains("555123"))
        #expect(try metrics.expectCounter("riskgate_delivery_dead_letters_total").totalValue == 1)
        #expect(try metrics.expectCounter("riskgate_delivery_retries_total").totalValue == 2)
        #expect(!logs.all.contains { $0.contains("555123") || $0.contains("+4915100000000") })

        let id = try #require(letter.message.id)
        #expect(try store.retryDeadLetters([id + 100]).isEmpty)
        #expect(try store.retryDeadLetters(nil) == [id])
        let back = try store.outbox(limit: 10)
        #expect(back.map(\.id) == [id] && back.first?.attempts == 0 && back.first?.nextAttempt == nil)
        #expect(try store.deadLetters(limit: 10).isEmpty)
    }

    /// An OTP whose code expired is removed, never sent: already expired, or expiring while it
    /// waits for a retry.
    @Test func expiredCodesAreNeverSent() async throws {
        let (store, folder) = try temporaryStore()
        defer { try? FileManager.default.removeItem(at: folder) }
        let clock = ManualClock()
        // The live code first: the store's own sweep of expired codes (when a newer code is
        // written) then leaves the expired one for the deliverer to find.
        try store.commit(StateChange(outbox: [
            otpMessage(user: "u-new", code: "900002", challenge: "ch-new", destination: "+4915100000002",
                       created: clock.now(), ttl: 60, keyring: store.secrets),
            otpMessage(user: "u-old", code: "900001", challenge: "ch-old", destination: "+4915100000001",
                       created: clock.now().addingTimeInterval(-301), keyring: store.secrets),
        ]))
        #expect(try store.outbox(limit: 10).count == 2)
        let metrics = TestMetrics()
        let received = try await withReceiver(answer: { _, _ in 503 }) { url, log in
            // The first retry comes after at least 100 s: past the second code's 60 s.
            let deliverer = manualDeliverer(store: store, url: url, clock: clock,
                                            retry: RetrySchedule(base: .seconds(200), maximum: .seconds(400)),
                                            metrics: DeliveryMetrics(factory: metrics))
            let pass = try await deliverer.drain()
            await deliverer.shutdown()
            #expect(pass.expired == 1 && pass.retried == 1 && pass.sent == 0 && pass.deadLettered == 1)
            return log.requests
        }
        #expect(received.count == 1, "only the live code was posted, once")
        #expect(received.first?.json["challenge"] as? String == "ch-new")
        #expect(received.allSatisfy { $0.json["challenge"] as? String != "ch-old" })
        #expect(try store.outbox(limit: 10).isEmpty)
        #expect(try metrics.expectCounter("riskgate_delivery_expired_total").totalValue == 1)
        // The code that expired while its delivery kept failing is a dead letter: the user never got it.
        let letter = try #require(try store.deadLetters(limit: 10).first)
        #expect(letter.message.challenge == "ch-new" && letter.reason == "code expired after 1 failed attempt")
        // Sent back, it is removed unsent: the code no longer works.
        #expect(try store.retryDeadLetters(nil).count == 1)
        let again = try await withReceiver(answer: { _, _ in 200 }) { url, log in
            let deliverer = manualDeliverer(store: store, url: url, clock: clock, metrics: DeliveryMetrics(factory: metrics))
            let pass = try await deliverer.drain()
            await deliverer.shutdown()
            #expect(pass.expired == 1 && pass.sent == 0)
            return log.requests
        }
        #expect(again.isEmpty)
        #expect(try store.outbox(limit: 10).isEmpty && store.deadLetters(limit: 10).isEmpty)
    }

    /// A user's later message waits while an earlier one waits for its retry; other users' do not,
    /// and a dead-lettered message no longer holds its user's queue.
    @Test func orderIsKeptPerUser() async throws {
        let store = MemoryStateStore()
        let clock = ManualClock()
        let queued = clock.now().addingTimeInterval(-30)
        try store.commit(StateChange(outbox: [
            OutboxMessage(created: queued, kind: "handoff", channel: "agent", user: "u-a", body: #"{"n":"a1"}"#),
            OutboxMessage(created: queued, kind: "handoff", channel: "agent", user: "u-a", body: #"{"n":"a2"}"#),
            OutboxMessage(created: queued, kind: "handoff", channel: "agent", user: "u-b", body: #"{"n":"b1"}"#),
            OutboxMessage(created: queued, kind: "push", channel: "push", user: "u-c", body: #"{"n":"c1"}"#),
            OutboxMessage(created: queued, kind: "handoff", channel: "agent", user: "u-c", body: #"{"n":"c2"}"#),
        ]))
        // a1 fails once; c1 always fails (dead-lettered after 2 attempts); everything else is accepted.
        let answers = AnswerScript()
        let metrics = TestMetrics()
        let received = try await withReceiver(answer: { _, body in answers.status(for: body) }) { url, log in
            let deliverer = manualDeliverer(store: store, url: url, clock: clock, maxAttempts: 2, metrics: DeliveryMetrics(factory: metrics))
            let first = try await deliverer.deliverDue()
            #expect(first.sent == 1 && first.retried == 2 && first.waiting == 4)
            #expect(try metrics.expectGauge("riskgate_delivery_queue_age_seconds").lastValue == 30)
            let afterFirst = log.requests.compactMap { ($0.json["body"] as? [String: Any])?["n"] as? String }
            #expect(afterFirst.sorted() == ["a1", "b1", "c1"], "a2 and c2 wait behind a1 and c1")
            #expect(try await deliverer.deliverDue().sent == 0, "nothing is due before the retry time")
            let rest = try await deliverer.drain()
            await deliverer.shutdown()
            #expect(rest.sent == 3 && rest.deadLettered == 1)
            #expect(try metrics.expectGauge("riskgate_delivery_queue_age_seconds").lastValue == 0)
            return log.requests
        }
        let order = received.filter(\.accepted).compactMap { ($0.json["body"] as? [String: Any])?["n"] as? String }
        #expect(Set(order) == ["a1", "a2", "b1", "c2"] && order.count == 4)
        #expect(try #require(order.firstIndex(of: "a1")) < (try #require(order.firstIndex(of: "a2"))))
        let push = try #require(received.first { $0.json["kind"] as? String == "push" })
        #expect(push.json["channel"] as? String == "push" && push.json["expires"] == nil)
        #expect(try store.deadLetters(limit: 10).map(\.message.kind) == ["push"])
        #expect(try store.outbox(limit: 10).isEmpty)
    }

    /// As a service beside `serve`: real waits, and a graceful shutdown ends it.
    @Test func runsAsAServiceUntilShutdown() async throws {
        let store = MemoryStateStore()
        try store.commit(StateChange(outbox: [
            otpMessage(user: "u-1", code: "424242", challenge: "ch-1", destination: "+4915100000003", created: Date(),
                       keyring: store.secrets),
        ]))
        let received = try await withReceiver(answer: { n, _ in n < 2 ? 500 : 200 }) { url, log in
            let deliverer = OutboxDeliverer(
                store: store,
                configuration: DeliveryConfiguration(url: url, secret: testSecret, maxAttempts: 4, timeout: .seconds(5),
                                                     retry: RetrySchedule(base: .milliseconds(40), maximum: .milliseconds(200)),
                                                     pollInterval: .milliseconds(20)),
                logger: CapturedLogs().logger())
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                let group = ServiceGroup(configuration: .init(services: [deliverer], logger: CapturedLogs().logger()))
                tasks.addTask { try await group.run() }
                let start = ContinuousClock.now
                while !log.requests.contains(where: \.accepted) && ContinuousClock.now - start < .seconds(30) {
                    try await Task.sleep(for: .milliseconds(20))
                }
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
            return log.requests
        }
        #expect(received.map(\.status) == [500, 500, 200])
        let code = (received.last?.json["body"] as? [String: Any])?["code"] as? String
        #expect(code == "424242")
        for request in received {
            #expect(WebhookSignature.verify(header: request.signature ?? "", body: request.body, secret: testSecret, now: Date()))
        }
        #expect(try store.outbox(limit: 10).isEmpty)
    }
}

extension OutboxDelivererTests {
    /// A store failure in one user's walk (recording a retry) fails the pass, but what the other
    /// users' walks delivered still leaves the outbox, so it is not posted twice.
    @Test func aStoreFailureKeepsOtherUsersDeliveries() async throws {
        let store = DeferFailingStore()
        let clock = ManualClock()
        try store.commit(StateChange(outbox: [
            OutboxMessage(created: clock.now(), kind: "handoff", channel: "agent", user: "u-a", body: #"{"n":"a1"}"#),
            OutboxMessage(created: clock.now(), kind: "handoff", channel: "agent", user: "u-b", body: #"{"n":"b1"}"#),
        ]))
        let received = try await withReceiver(answer: { _, body in String(decoding: body, as: UTF8.self).contains("a1") ? 500 : 200 }) { url, log in
            let deliverer = manualDeliverer(store: store, url: url, clock: clock)
            await #expect(throws: StoreError.self) { try await deliverer.deliverDue() }
            await deliverer.shutdown()
            return log.requests
        }
        #expect(received.count == 2)
        #expect(try store.outbox(limit: 10).map(\.user) == ["u-a"], "b1 was delivered and removed; a1 stays for the next pass")
    }
}

/// A memory store whose `deferOutbox` fails, as a full disk would.
final class DeferFailingStore: StateStore, @unchecked Sendable {
    private let inner = MemoryStateStore()
    var secrets: SecretsKeyring { inner.secrets }
    func loadUser(_ user: String) throws -> UserState? { try inner.loadUser(user) }
    func loadChallenge(_ id: String) throws -> Challenge? { try inner.loadChallenge(id) }
    func loadBlob(_ key: String) throws -> Data? { try inner.loadBlob(key) }
    func commit(_ change: StateChange) throws { try inner.commit(change) }
    func auditEntries() throws -> [AuditRecord] { try inner.auditEntries() }
    func auditEntries(after id: Int64, limit: Int) throws -> [AuditRecord] { try inner.auditEntries(after: id, limit: limit) }
    func auditHead() throws -> (id: Int64, hash: String)? { try inner.auditHead() }
    func auditCheckpoint() throws -> AuditCheckpoint? { try inner.auditCheckpoint() }
    func pruneAudit(through id: Int64, at time: Date) throws -> AuditCheckpoint { try inner.pruneAudit(through: id, at: time) }
    func outbox(limit: Int) throws -> [OutboxMessage] { try inner.outbox(limit: limit) }
    func removeOutbox(_ ids: [Int64]) throws { try inner.removeOutbox(ids) }
    func deferOutbox(_ id: Int64, attempts: Int, nextAttempt: Date) throws {
        throw StoreError(code: .io, message: "disk full")
    }
    func deadLetterOutbox(_ id: Int64, attempts: Int, reason: String, at time: Date) throws {
        try inner.deadLetterOutbox(id, attempts: attempts, reason: reason, at: time)
    }
    func deadLetters(limit: Int) throws -> [DeadLetter] { try inner.deadLetters(limit: limit) }
    func retryDeadLetters(_ ids: [Int64]?) throws -> [Int64] { try inner.retryDeadLetters(ids) }
}

/// Answers by message: `a1` fails its first attempt, `c1` always fails, the rest are accepted.
final class AnswerScript: @unchecked Sendable {
    private let lock = NSLock()
    private var seen: [String: Int] = [:]

    func status(for body: [UInt8]) -> Int {
        let json = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
        let name = (json?["body"] as? [String: Any])?["n"] as? String ?? ""
        return lock.withLock {
            seen[name, default: 0] += 1
            switch name {
            case "a1": return seen[name] == 1 ? 500 : 204
            case "c1": return 502
            default: return 200
            }
        }
    }
}
