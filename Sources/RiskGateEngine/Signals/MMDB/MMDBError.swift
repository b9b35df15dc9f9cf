import CMaxMindDB
import Foundation

/// Why a MaxMind DB file could not be opened or a record could not be read.
///
/// Every corruption (truncation, an offset past the end, a malformed control byte, nesting too deep)
/// surfaces as one of these, never as a crash.
public struct MMDBError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of failure; new kinds may be added without breaking callers.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: Sendable, Hashable { case io, notMMDB, corrupt, unsupported }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The file could not be read.
        public static let io = Code(.io)
        /// No MaxMind DB metadata marker: not an MMDB file.
        public static let notMMDB = Code(.notMMDB)
        /// The file is an MMDB file but its structure is damaged.
        public static let corrupt = Code(.corrupt)
        /// A valid file using a feature this reader does not support (e.g. another major format version).
        public static let unsupported = Code(.unsupported)

        public var description: String {
            switch base {
            case .io: "io"
            case .notMMDB: "not_mmdb"
            case .corrupt: "corrupt"
            case .unsupported: "unsupported"
            }
        }
    }

    /// The kind of failure.
    public var code: Code
    /// What went wrong, lowercase, naming the offending offset or field.
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "mmdb \(code): \(message)" }

    static func corrupt(_ message: String) -> MMDBError { MMDBError(.corrupt, message) }

    /// A libmaxminddb status code, with what it was doing.
    init(status: Int32, context: String) {
        let code: Code = switch status {
        case MMDB_FILE_OPEN_ERROR, MMDB_IO_ERROR, MMDB_OUT_OF_MEMORY_ERROR: .io
        case MMDB_INVALID_METADATA_ERROR: .notMMDB
        case MMDB_UNKNOWN_DATABASE_FORMAT_ERROR: .unsupported
        default: .corrupt
        }
        let reason = String(cString: MMDB_strerror(status)).lowercased()
        let detail = status == MMDB_FILE_OPEN_ERROR || status == MMDB_IO_ERROR ? " (\(String(cString: strerror(errno))))" : ""
        self.init(code, "\(context): \(reason)\(detail)")
    }
}
