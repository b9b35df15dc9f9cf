import Foundation
import Logging
import NIOPosix
import RiskGate
import RiskGateEngine
import RiskGatePolicy
import ServiceLifecycle

/// Posts the outbox's messages to a webhook: signed, at least once, in order per user.
///
/// A pass (``deliverDue()``) reads the oldest messages and walks each user's in id order, users
/// side by side (up to ``DeliveryConfiguration/concurrency``):
/// - an OTP whose code has expired is never sent: removed, or moved to the dead letters when
///   earlier attempts at it failed;
/// - a message waiting for its next attempt stops its user's walk, so a later message never
///   overtakes it;
/// - a 2xx answer delivers the message; it leaves the outbox at the end of the pass (a crash in
///   between sends it again, under the same idempotency key);
/// - any other answer, a timeout or a refused connection counts a failed attempt and schedules
///   the next after a ``RetrySchedule`` wait; the ``DeliveryConfiguration/maxAttempts``-th failure
///   moves the message to the dead letters instead, and the user's next message goes ahead.
///
/// As a `Service` (``run()``), it makes passes until the service group shuts down, then closes its
/// HTTP client. Logs name messages by id only: never a code, a destination or the secret.
public final class OutboxDeliverer: Service, Sendable {
    /// What one pass did.
    public struct Pass: Sendable, Hashable {
        /// Messages the webhook accepted.
        public var sent = 0
        /// Failed attempts that will be tried again.
        public var retried = 0
        /// Messages moved to the dead letters.
        public var deadLettered = 0
        /// OTPs removed unsent because their code had expired before a first attempt.
        public var expired = 0
        /// Messages left waiting for a later attempt (theirs, or an earlier message's of the same user).
        public var waiting = 0
        /// When the earliest waiting message is due; `nil` when none waits.
        public var nextDue: Date?
    }

    private let store: any StateStore
    private let configuration: DeliveryConfiguration
    private let client: WebhookClient
    private let clock: any RiskGate.Clock
    private let random: any RandomSource
    private let metrics: DeliveryMetrics
    private let logger: Logger
    private let wait: @Sendable (Duration) async throws -> Void

    /// - Parameters:
    ///   - clock: "now" for expiry, the signature's timestamp and retry times.
    ///   - random: draws the retry jitter.
    ///   - wait: sleeps between passes in ``run()``; injected so tests need not.
    public init(store: any StateStore, configuration: DeliveryConfiguration, clock: any RiskGate.Clock = SystemClock(),
                random: any RandomSource = SystemRandomSource(), metrics: DeliveryMetrics = DeliveryMetrics(),
                logger: Logger = Logger(label: "riskgate.delivery"),
                wait: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }) {
        self.store = store; self.configuration = configuration; self.clock = clock; self.random = random
        self.metrics = metrics; self.logger = logger; self.wait = wait
        client = WebhookClient(url: configuration.url, timeout: configuration.timeout)
    }

    /// Delivers what is due now: one pass over the oldest ``DeliveryConfiguration/batchSize`` messages.
    ///
    /// - Throws: ``StoreError`` when the store cannot be read or written (what was posted stays
    ///   in the outbox and is posted again by a later pass).
    public func deliverDue() async throws -> Pass {
        let messages = try await blocking { [store, configuration] in try store.outbox(limit: configuration.batchSize) }
        var byUser: [String: [OutboxMessage]] = [:]
        var users: [String] = []
        for message in messages where message.id != nil {
            if byUser[message.user] == nil { users.append(message.user) }
            byUser[message.user, default: []].append(message)
        }
        var pass = Pass()
        var finished: [Int64] = []
        var stillQueued: [OutboxMessage] = []
        var failure: (any Error)?
        await withTaskGroup(of: UserWalk.self) { group in
            var next = users.makeIterator()
            for _ in 0..<configuration.concurrency {
                guard let user = next.next(), let queue = byUser[user] else { break }
                group.addTask { await self.walk(queue) }
            }
            while let walk = await group.next() {
                pass.add(walk)
                finished += walk.finished
                stillQueued += walk.remaining
                failure = failure ?? walk.failure
                if let user = next.next(), let queue = byUser[user] {
                    group.addTask { await self.walk(queue) }
                }
            }
        }
        // Also after a store failure in one user's walk: what the others delivered goes.
        if !finished.isEmpty {
            try await blocking { [store, finished] in try store.removeOutbox(finished) }
        }
        if let failure { throw failure }
        let oldest = stillQueued.map(\.created).min()
        metrics.recordQueueAge(oldest.map { clock.now().timeIntervalSince($0) } ?? 0)
        return pass
    }

    /// Delivers until the outbox is empty: passes one after another, waiting for each retry when
    /// it is due, so every message ends delivered, expired or in the dead letters (`riskgate
    /// deliver --once`). Messages queued meanwhile are delivered too. Returns the passes' sums.
    ///
    /// - Throws: ``StoreError`` when the store fails; `CancellationError` when cancelled.
    public func drain() async throws -> Pass {
        var total = Pass()
        while true {
            try Task.checkCancellation()
            let pass = try await deliverDue()
            total.sent += pass.sent; total.retried += pass.retried
            total.deadLettered += pass.deadLettered; total.expired += pass.expired
            total.waiting = pass.waiting; total.nextDue = pass.nextDue
            if pass.sent + pass.retried + pass.deadLettered + pass.expired == 0 && pass.waiting == 0 { return total }
            if pass.sent + pass.deadLettered + pass.expired == 0 {
                try await wait(pause(until: pass.nextDue))
            }
        }
    }

    /// Makes passes until the service group shuts down or the task is cancelled; a pass that did
    /// something is followed at once by another, otherwise the next waits for the poll interval or
    /// the next retry, whichever comes first. Closes the HTTP client when it returns.
    public func run() async throws {
        logger.info("webhook delivery started", metadata: [
            "delivery.max_attempts": .stringConvertible(configuration.maxAttempts),
        ])
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            var pause = configuration.pollInterval
            do {
                let pass = try await deliverDue()
                pause = pass.sent + pass.deadLettered + pass.expired > 0 ? .zero : self.pause(until: pass.nextDue)
            } catch {
                logger.error("outbox unreadable", metadata: ["error": .string("\(error)")])
            }
            if pause == .zero { continue }
            do {
                let wait = wait, pause = pause
                try await cancelWhenGracefulShutdown { try await wait(pause) }
            } catch {
                break
            }
        }
        await shutdown()
        logger.info("webhook delivery stopped")
    }

    /// The poll interval, or less when a retry is due sooner.
    private func pause(until due: Date?) -> Duration {
        guard let due else { return configuration.pollInterval }
        let untilDue = Duration.milliseconds(Int64((max(0, due.timeIntervalSince(clock.now())) * 1000).rounded(.up)))
        return min(configuration.pollInterval, untilDue)
    }

    /// Closes the HTTP client; call it once done with ``deliverDue()`` (``run()`` does).
    public func shutdown() async {
        await client.shutdown()
    }

    // MARK: - One user's messages

    /// What a walk through one user's messages did.
    fileprivate struct UserWalk: Sendable {
        var sent = 0, retried = 0, deadLettered = 0, expired = 0
        /// Delivered and expired messages, to remove from the outbox.
        var finished: [Int64] = []
        /// The messages the walk left in the outbox (waiting, or after one that waits).
        var remaining: [OutboxMessage] = []
        var nextDue: Date?
        /// The store failure that ended the walk early.
        var failure: (any Error)?
    }

    /// Posts `queue` (one user's messages, in id order) until one has to wait or the store fails.
    private func walk(_ queue: [OutboxMessage]) async -> UserWalk {
        var walk = UserWalk()
        do {
            try await deliver(queue, into: &walk)
        } catch {
            walk.failure = error
        }
        return walk
    }

    private func deliver(_ queue: [OutboxMessage], into walk: inout UserWalk) async throws {
        for (index, message) in queue.enumerated() {
            guard let id = message.id else { continue }
            // Stopping: leave the rest for the next start (nothing is lost, nothing skipped).
            if Task.isCancelled || Task.isShuttingDownGracefully {
                walk.remaining += queue[index...]
                break
            }
            let now = clock.now()
            if let expiry = message.otpExpiry, expiry <= now {
                if message.attempts > 0 {
                    // Delivery failed until the code ran out: the user never got it, which an
                    // operator should see among the dead letters (a retry from there sends nothing).
                    try await deadLetter(id, attempts: message.attempts,
                                         reason: "code expired after \(message.attempts) failed attempt\(message.attempts == 1 ? "" : "s")")
                    walk.deadLettered += 1
                } else {
                    walk.finished.append(id)
                    walk.expired += 1
                    metrics.recordExpired()
                    logger.info("expired code removed unsent", metadata: ["outbox.id": .stringConvertible(id)])
                }
                continue
            }
            if let due = message.nextAttempt, due > now {
                walk.remaining += queue[index...]
                walk.nextDue = due
                break
            }
            let attempt = message.attempts + 1
            let outcome: WebhookClient.Outcome
            do {
                outcome = try await post(message.openedForDelivery(keyring: store.secrets), id: id, attempt: attempt)
            } catch {
                // Another database's key or a damaged body: no retry can fix it.
                try await deadLetter(id, attempts: attempt, reason: "code does not open under the secrets key")
                walk.deadLettered += 1
                continue
            }
            switch outcome {
            case .accepted(let status):
                walk.finished.append(id)
                walk.sent += 1
                metrics.recordSent()
                logger.info("message delivered", metadata: [
                    "outbox.id": .stringConvertible(id), "delivery.attempt": .stringConvertible(attempt),
                    "http.status": .stringConvertible(status),
                ])
            case .failed(let reason) where attempt >= configuration.maxAttempts:
                try await deadLetter(id, attempts: attempt, reason: reason)
                walk.deadLettered += 1
            case .failed(let reason):
                let due = clock.now().addingTimeInterval(
                    configuration.retry.delay(afterFailures: attempt, random: random).seconds)
                try await blocking { [store] in try store.deferOutbox(id, attempts: attempt, nextAttempt: due) }
                walk.retried += 1
                metrics.recordRetry()
                logger.notice("delivery failed, will retry", metadata: [
                    "outbox.id": .stringConvertible(id), "delivery.attempt": .stringConvertible(attempt),
                    "delivery.reason": .string(reason), "delivery.next_attempt": .string(Timestamp.format(due)),
                ])
                var waiting = message
                waiting.attempts = attempt
                waiting.nextAttempt = due
                walk.remaining += [waiting] + queue[(index + 1)...]
                walk.nextDue = due
                return
            }
        }
    }

    /// Posts one opened message, signed with the clock's time.
    private func post(_ message: OutboxMessage, id: Int64, attempt: Int) async -> WebhookClient.Outcome {
        let payload = WebhookPayload(message: message, id: id, attempt: attempt)
        let body = payload.encoded()
        let timestamp = Int64(clock.now().timeIntervalSince1970.rounded(.down))
        return await client.post(body: body, headers: [
            (WebhookSignature.headerName, WebhookSignature.header(secret: configuration.secret, timestamp: timestamp, body: body)),
            ("Idempotency-Key", payload.idempotencyKey),
        ])
    }

    private func deadLetter(_ id: Int64, attempts: Int, reason: String) async throws {
        let time = clock.now()
        try await blocking { [store] in try store.deadLetterOutbox(id, attempts: attempts, reason: reason, at: time) }
        metrics.recordDeadLetter()
        logger.warning("message moved to the dead letters", metadata: [
            "outbox.id": .stringConvertible(id), "delivery.attempts": .stringConvertible(attempts),
            "delivery.reason": .string(reason),
        ])
    }

    /// Runs a store call on NIO's thread pool: SQLite blocks its thread while it reads and writes.
    private func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive(body)
    }
}

extension OutboxDeliverer.Pass {
    fileprivate mutating func add(_ walk: OutboxDeliverer.UserWalk) {
        sent += walk.sent; retried += walk.retried; deadLettered += walk.deadLettered; expired += walk.expired
        waiting += walk.remaining.count
        if let due = walk.nextDue { nextDue = min(nextDue ?? due, due) }
    }
}
