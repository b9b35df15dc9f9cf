import Foundation
import NIOSSL
import PostgresNIO
import RiskGate

/// Where a PostgreSQL store lives, read from a `postgres://` or `postgresql://` URL.
///
/// `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=disable|prefer|require]`. Without a
/// password in the URL, `PGPASSWORD` is used (so the password need not appear on a command line).
/// The URL with its password removed is what error messages and logs show.
public struct PostgresLocation: Sendable, Hashable {
    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    /// `disable`, `prefer` (the default, as libpq's) or `require`.
    public var sslMode: String

    /// Whether `text` names a PostgreSQL database rather than a SQLite file.
    public static func isURL(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    /// Parses `url`; `environment` supplies `PGPASSWORD` when the URL has no password.
    ///
    /// - Throws: ``StoreError`` (`.open`) naming what is wrong, never echoing the password.
    public init(url: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        guard Self.isURL(url), let parts = URLComponents(string: url), let host = parts.host, !host.isEmpty else {
            throw StoreError(code: .open, message: "not a postgres:// URL (postgres://USER@HOST:PORT/DATABASE)")
        }
        guard let user = parts.user, !user.isEmpty else {
            throw StoreError(code: .open, message: "the postgres:// URL names no user (postgres://USER@HOST/DATABASE)")
        }
        let database = String(parts.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, !database.contains("/") else {
            throw StoreError(code: .open, message: "the postgres:// URL names no database (postgres://USER@HOST/DATABASE)")
        }
        var sslMode = "prefer"
        for item in parts.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let value = item.value, ["disable", "prefer", "require"].contains(value) else {
                    throw StoreError(code: .open, message: "sslmode must be disable, prefer or require")
                }
                sslMode = value
            default:
                throw StoreError(code: .open, message: "unknown postgres:// URL parameter `\(item.name.prefix(40))` (known: sslmode)")
            }
        }
        self.host = host
        self.port = parts.port ?? 5432
        self.username = user.removingPercentEncoding ?? user
        self.password = parts.password.map { $0.removingPercentEncoding ?? $0 } ?? environment["PGPASSWORD"]
        self.database = database.removingPercentEncoding ?? database
        self.sslMode = sslMode
    }

    /// The URL without its password, for messages.
    public var redacted: String { "postgres://\(username)@\(host):\(port)/\(database)" }

    func configuration() throws -> PostgresConnection.Configuration {
        let tls: PostgresConnection.Configuration.TLS
        do {
            tls = switch sslMode {
            case "disable": .disable
            case "require": .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
            default: .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
            }
        } catch {
            throw StoreError(code: .open, message: "cannot set up TLS for \(redacted): \(error)")
        }
        var configuration = PostgresConnection.Configuration(host: host, port: port, username: username, password: password,
                                                             database: database, tls: tls)
        configuration.options.connectTimeout = .seconds(5)
        return configuration
    }
}
