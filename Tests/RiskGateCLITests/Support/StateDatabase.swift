import CSQLite
import Foundation

/// Queries on a state database a test's `riskgate` wrote, for what no command prints.
enum StateDatabase {
    /// Why a query could not run.
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// The first column of every row `sql` returns, as text (`NULL` as an empty string).
    ///
    /// The file is opened read-write, as the next `riskgate` would open it, so that SQLite can
    /// recover a write-ahead log a killed writer left behind.
    static func strings(_ sql: String, in path: String) throws -> [String] {
        var connection: OpaquePointer?
        defer { sqlite3_close(connection) }
        guard sqlite3_open_v2(path, &connection, SQLITE_OPEN_READWRITE, nil) == SQLITE_OK else {
            throw Failure(description: "cannot open `\(path)`: \(String(cString: sqlite3_errmsg(connection)))")
        }
        sqlite3_busy_timeout(connection, 5_000)
        var statement: OpaquePointer?
        defer { sqlite3_finalize(statement) }
        guard sqlite3_prepare_v2(connection, sql, -1, &statement, nil) == SQLITE_OK else {
            throw Failure(description: "cannot prepare `\(sql)`: \(String(cString: sqlite3_errmsg(connection)))")
        }
        var values: [String] = []
        while true {
            switch sqlite3_step(statement) {
            case SQLITE_ROW:
                values.append(sqlite3_column_text(statement, 0).map { String(cString: $0) } ?? "")
            case SQLITE_DONE:
                return values
            default:
                throw Failure(description: "`\(sql)` failed: \(String(cString: sqlite3_errmsg(connection)))")
            }
        }
    }

    /// SQLite's `PRAGMA integrity_check`: `["ok"]` for a sound file, otherwise one line a problem.
    static func integrityCheck(_ path: String) throws -> [String] {
        try strings("PRAGMA integrity_check", in: path)
    }
}
