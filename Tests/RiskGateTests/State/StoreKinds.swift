import Foundation
import Logging
import PostgresNIO
import Testing
@testable import RiskGate
@testable import RiskGateEngine
@testable import RiskGatePolicy
@testable import RiskGatePostgres

/// The stores the contract tests run on: memory and SQLite always, PostgreSQL when
/// `RISKGATE_TEST_POSTGRES_URL` names a database (scripts/with-postgres.sh starts one).
enum StoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case memory, sqlite, postgres

    var testDescription: String { rawValue }

    /// Every kind this run can test.
    static var available: [StoreKind] { TestPostgres.baseURL == nil ? [.memory, .sqlite] : allCases }
}

/// One store for a test, with what it needs to be opened again (a second replica, a restart).
final class TestStore {
    let kind: StoreKind
    let store: any StateStore
    let directory = TempDirectory()
    /// The per-test database, for PostgreSQL.
    let url: String?
    let keyring = SecretsKeyring.ephemeral()

    init(_ kind: StoreKind) throws {
        self.kind = kind
        switch kind {
        case .memory:
            url = nil
            store = MemoryStateStore(secrets: keyring)
        case .sqlite:
            url = nil
            store = try SQLiteStateStore(path: directory.path("state.db"), secrets: keyring)
        case .postgres:
            let url = try TestPostgres.freshDatabase()
            self.url = url
            store = try PostgresStateStore(url: url, secrets: keyring)
        }
    }

    deinit { directory.cleanup() }

    /// Another store on the same data (a replica, or the store after a restart); memory has only one.
    func another() throws -> any StateStore {
        switch kind {
        case .memory: store
        case .sqlite: try SQLiteStateStore(path: directory.path("state.db"), secrets: keyring)
        case .postgres: try PostgresStateStore(url: url!, secrets: keyring)
        }
    }

    /// Checks the audit log as `riskgate audit verify` does for this kind of store.
    func verifyAudit(_ store: (any StateStore)? = nil, anchors: [AuditAnchor] = []) throws -> AuditVerification {
        let store = store ?? self.store
        if let postgres = store as? PostgresStateStore { return try PostgresAuditVerifier.verify(store: postgres, anchors: anchors) }
        return try AuditVerifier.verify(store: store, anchors: anchors)
    }
}

/// The PostgreSQL server the tests use, when there is one.
enum TestPostgres {
    static var baseURL: String? {
        ProcessInfo.processInfo.environment["RISKGATE_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Set by scripts/with-postgres.sh (and so by CI): a missing or unreachable server fails the run.
    static var required: Bool { ProcessInfo.processInfo.environment["RISKGATE_REQUIRE_POSTGRES"] == "1" }

    /// Creates an empty database for one test and returns its URL.
    static func freshDatabase() throws -> String {
        let base = try #require(baseURL, "RISKGATE_TEST_POSTGRES_URL is not set")
        let name = "rgtest_" + SystemRandomSource().bytes(8).hexString
        try admin(base, "CREATE DATABASE \(name)")
        var parts = try #require(URLComponents(string: base))
        parts.path = "/" + name
        return try #require(parts.string)
    }

    /// Runs one statement on the server's base database.
    static func admin(_ url: String, _ sql: String) throws {
        let location = try PostgresLocation(url: url)
        var logger = Logger(label: "riskgate.test.postgres")
        logger.logLevel = .error
        let connection = try PostgresConnection.connect(on: PostgresConnectionPool.eventLoops.next(),
                                                        configuration: location.configuration(), id: 1, logger: logger).wait()
        defer { try? connection.close().wait() }
        _ = try connection.query(PostgresQuery(unsafeSQL: sql), logger: logger).wait()
    }
}

/// Runs blocking work (many threads deciding, waiting on PostgreSQL) on a thread of its own, so
/// the test does not hold one of Swift concurrency's few shared threads while it waits.
enum OwnThread {
    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
        }
    }
}
