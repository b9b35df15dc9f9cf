import Foundation
import PostgresNIO
import RiskGate

/// Delivery bookkeeping (docs/delivery.md) and audit pruning on PostgreSQL.
extension PostgresStateStore {
    public func deferOutbox(_ id: Int64, attempts: Int, nextAttempt: Date) throws {
        try pool.withConnection { lease in
            try pool.run("UPDATE outbox SET attempts = \(Int64(attempts)), next_attempt = \(nextAttempt.timeIntervalSince1970) WHERE id = \(id)",
                         on: lease.connection)
        }
    }

    /// Moves the message in one statement: the row leaves the outbox and enters the dead letters together.
    public func deadLetterOutbox(_ id: Int64, attempts: Int, reason: String, at time: Date) throws {
        try pool.withConnection { lease in
            try pool.run("""
                WITH moved AS (DELETE FROM outbox WHERE id = \(id) RETURNING user_id, id, created, kind, channel, destination, challenge, body)
                INSERT INTO dead_letters (user_id, id, created, kind, channel, destination, challenge, body, attempts, reason, dead_at)
                SELECT user_id, id, created, kind, channel, destination, challenge, body, \(Int64(attempts)), \(reason), \(time.timeIntervalSince1970)
                FROM moved
                """, on: lease.connection)
        }
    }

    public func deadLetters(limit: Int) throws -> [DeadLetter] {
        try pool.read { connection in
            try pool.run("""
                SELECT id, created, kind, channel, user_id, destination, challenge, body, attempts, reason, dead_at
                FROM dead_letters ORDER BY id LIMIT \(Int64(max(0, limit)))
                """, on: connection).map { row in
                let (id, created, kind, channel, user, destination, challenge, body, attempts, reason, dead) =
                    try row.decode((Int64, Double, String, String, String, String?, String?, String, Int32, String, Double).self)
                var message = OutboxMessage(id: id, created: Date(timeIntervalSince1970: created), kind: kind, channel: channel,
                                            user: user, destination: destination, challenge: challenge, body: body)
                message.attempts = Int(attempts)
                return DeadLetter(message: message, reason: reason, time: Date(timeIntervalSince1970: dead))
            }
        }
    }

    /// Back under their own ids (the outbox's sequence never hands one out twice), in one statement.
    public func retryDeadLetters(_ ids: [Int64]?) throws -> [Int64] {
        try pool.withConnection { lease in
            let moved: PostgresQueryResult
            if let ids {
                moved = try pool.run("""
                    WITH moved AS (DELETE FROM dead_letters WHERE id = ANY(\(ids))
                                   RETURNING user_id, id, created, kind, channel, destination, challenge, body)
                    INSERT INTO outbox (user_id, id, created, kind, channel, destination, challenge, body, attempts, next_attempt)
                    SELECT user_id, id, created, kind, channel, destination, challenge, body, 0, NULL FROM moved
                    RETURNING id
                    """, on: lease.connection)
            } else {
                moved = try pool.run("""
                    WITH moved AS (DELETE FROM dead_letters RETURNING user_id, id, created, kind, channel, destination, challenge, body)
                    INSERT INTO outbox (user_id, id, created, kind, channel, destination, challenge, body, attempts, next_attempt)
                    SELECT user_id, id, created, kind, channel, destination, challenge, body, 0, NULL FROM moved
                    RETURNING id
                    """, on: lease.connection)
            }
            return try moved.map { try $0.decode(Int64.self) }.sorted()
        }
    }

    /// PostgreSQL logs are not pruned by RiskGate yet (their per-replica chains would each need a
    /// checkpoint); export them with `riskgate audit export` and keep them whole.
    public func auditCheckpoint() throws -> AuditCheckpoint? { nil }

    public func pruneAudit(through id: Int64, at time: Date) throws -> AuditCheckpoint {
        throw StoreError(code: .sql, message: "pruning the audit log is supported on SQLite stores only; a PostgreSQL log keeps every record",
                         path: location.redacted)
    }
}
