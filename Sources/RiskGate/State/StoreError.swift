/// A storage failure: I/O, SQLite, a corrupt file, or a concurrent change.
///
/// Like swift-nio's `FileSystemError`, the code wraps a private enum so new codes can be added
/// without breaking callers' `switch` statements.
public struct StoreError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure; compare with the static members (`error.code == .corrupt`).
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        enum Wrapped: Sendable, Hashable {
            case open, notFound, corrupt, busy, io, sql, schema, conflict, encoding, readOnly, secrets
        }
        let wrapped: Wrapped
        /// The database could not be opened.
        public static let open = Code(wrapped: .open)
        /// The database file does not exist (and creating it was not asked for).
        public static let notFound = Code(wrapped: .notFound)
        /// The file is not a RiskGate database, or is damaged.
        public static let corrupt = Code(wrapped: .corrupt)
        /// Another connection held the database longer than the busy timeout.
        public static let busy = Code(wrapped: .busy)
        /// A read or write failed at the operating-system level (disk full, permissions).
        public static let io = Code(wrapped: .io)
        /// A statement failed.
        public static let sql = Code(wrapped: .sql)
        /// The schema is newer than this program, or a migration failed.
        public static let schema = Code(wrapped: .schema)
        /// A challenge was changed by someone else between load and commit; reload and retry.
        public static let conflict = Code(wrapped: .conflict)
        /// A stored value could not be encoded or decoded.
        public static let encoding = Code(wrapped: .encoding)
        /// The database is read-only.
        public static let readOnly = Code(wrapped: .readOnly)
        /// The secrets key file is missing, unreadable, too open, malformed, or lacks a key a record names.
        public static let secrets = Code(wrapped: .secrets)

        public var description: String {
            switch wrapped {
            case .open: "open"
            case .notFound: "not found"
            case .corrupt: "corrupt"
            case .busy: "busy"
            case .io: "i/o"
            case .sql: "sql"
            case .schema: "schema"
            case .conflict: "conflict"
            case .encoding: "encoding"
            case .readOnly: "read-only"
            case .secrets: "secrets key"
            }
        }
    }

    public var code: Code
    /// Lowercase, one line; includes SQLite's own message when there is one.
    public var message: String
    /// The database path, when known.
    public var path: String?

    public init(code: Code, message: String, path: String? = nil) {
        self.code = code; self.message = message; self.path = path
    }

    public var description: String {
        (path.map { "\($0): " } ?? "") + "store error (\(code)): \(message)"
    }
}
