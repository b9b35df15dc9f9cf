import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import RiskGate

/// A few PostgreSQL connections shared by the threads of one process, used synchronously.
///
/// ``StateStore`` is synchronous, so a caller's thread waits for each query's future; the
/// connections themselves run on a dedicated event loop group (``eventLoops``), never on the
/// caller's, so waiting never blocks the loop that must deliver the answer. Callers must not be
/// event-loop threads (the service runs store work on a blocking-work pool).
///
/// A connection that fails below SQL (closed by the server, a restart, a network error) is
/// dropped; the next lease opens a new one, so a store recovers by itself once PostgreSQL is back.
final class PostgresConnectionPool: @unchecked Sendable {
    /// One pooled connection and the audit chain its commits extend.
    final class Lease {
        let connection: PostgresConnection
        /// This connection's audit chain (``PostgresAuditChain``); `nil` until its first audit record.
        var chain: PostgresAuditChain.Head?
        /// Whether the connection may be given out again.
        var healthy = true
        init(connection: PostgresConnection) { self.connection = connection }
    }

    /// The event loops of every PostgreSQL connection in the process, separate from the service's.
    static let eventLoops = MultiThreadedEventLoopGroup(numberOfThreads: 2)

    let location: PostgresLocation
    let maxConnections: Int
    let logger: Logger
    private let condition = NSCondition()
    private var idle: [Lease] = []
    private var open = 0
    private var closed = false
    private let ids = ManagedAtomicCounter()

    init(location: PostgresLocation, maxConnections: Int) {
        self.location = location
        self.maxConnections = max(1, maxConnections)
        var logger = Logger(label: "riskgate.postgres")
        // postgres-nio logs statements and their bound values at debug: user ids and secrets must not reach logs.
        logger.logLevel = .error
        self.logger = logger
    }

    /// Runs `body` with a connection leased for its duration.
    ///
    /// - Throws: ``StoreError`` (`.io`) when no connection can be opened, or what `body` throws.
    @discardableResult
    func withConnection<T>(_ body: (Lease) throws -> T) throws -> T {
        let lease = try acquire()
        defer { release(lease) }
        do {
            return try body(lease)
        } catch let error as PSQLError where !Self.isServerError(error) {
            lease.healthy = false
            throw storeError(error)
        } catch let error as PSQLError {
            throw storeError(error)
        } catch let error as StoreError {
            throw error
        } catch {
            lease.healthy = false
            throw storeError(error)
        }
    }

    /// Runs a read, once more on a new connection when the first one turns out to be dead (a
    /// PostgreSQL restart leaves every pooled connection closed; the first use finds out).
    func read<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        do {
            return try withConnection { try body($0.connection) }
        } catch let error as StoreError where error.code == .io {
            return try withConnection { try body($0.connection) }
        }
    }

    /// Runs `query` on `connection` and waits for all its rows.
    @discardableResult
    func run(_ query: PostgresQuery, on connection: PostgresConnection) throws -> PostgresQueryResult {
        try connection.query(query, logger: logger).wait()
    }

    /// Closes every idle connection; leased ones close when returned.
    func close() {
        let leases = condition.withLock {
            closed = true
            defer { idle = [] }
            return idle
        }
        for lease in leases { Self.discard(lease.connection) }
    }

    private func acquire() throws -> Lease {
        condition.lock()
        while true {
            if closed {
                condition.unlock()
                throw StoreError(code: .io, message: "the store is closed", path: location.redacted)
            }
            if let lease = idle.popLast() {
                condition.unlock()
                if lease.connection.isClosed {
                    condition.withLock { open -= 1; condition.signal() }
                    condition.lock()
                    continue
                }
                return lease
            }
            if open < maxConnections {
                open += 1
                condition.unlock()
                do {
                    let configuration = try location.configuration()
                    let connection = try PostgresConnection.connect(
                        on: Self.eventLoops.next(), configuration: configuration, id: ids.next(), logger: logger).wait()
                    return Lease(connection: connection)
                } catch {
                    condition.withLock { open -= 1; condition.signal() }
                    throw storeError(error)
                }
            }
            condition.wait()
        }
    }

    private func release(_ lease: Lease) {
        let keep = condition.withLock {
            defer { condition.signal() }
            if lease.healthy && !closed && !lease.connection.isClosed {
                idle.append(lease)
                return true
            }
            open -= 1
            return false
        }
        if !keep { Self.discard(lease.connection) }
    }

    /// Closes `connection`, keeping it alive until it has closed (the driver requires a
    /// connection to be closed before it is released).
    static func discard(_ connection: PostgresConnection) {
        connection.close().whenComplete { _ in withExtendedLifetime(connection) {} }
    }

    /// Whether `error` came from the server answering a statement (the connection is still good).
    static func isServerError(_ error: PSQLError) -> Bool { error.code == .server }

    /// The SQLSTATE of a server error, e.g. `40001` for a serialization failure.
    static func sqlState(_ error: any Error) -> String? {
        (error as? PSQLError)?.serverInfo?[.sqlState]
    }

    /// A ``StoreError`` for a driver error: `.sql` with the server's message for a failed
    /// statement, `.io` when PostgreSQL could not be reached (the service answers 503 for both).
    func storeError(_ error: any Error) -> StoreError {
        if let error = error as? StoreError { return error }
        if let error = error as? PSQLError {
            if error.code == .server {
                let state = error.serverInfo?[.sqlState] ?? "?"
                let message = error.serverInfo?[.message] ?? "statement failed"
                return StoreError(code: .sql, message: "postgresql \(state): \(message)", path: location.redacted)
            }
            return StoreError(code: .io, message: "postgresql unreachable (\(error.code))", path: location.redacted)
        }
        return StoreError(code: .io, message: "postgresql unreachable: \(String(describing: error).prefix(200))", path: location.redacted)
    }
}

/// Connection ids for the driver's own bookkeeping.
private final class ManagedAtomicCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func next() -> Int { lock.withLock { value += 1; return value } }
}
