import Foundation
import RiskGateEngine
import RiskGatePolicy

/// What an API key may do (docs/http-api.md). Scopes do not imply each other: an `admin` key cannot decide.
public enum APIScope: String, Sendable, Hashable, CaseIterable, Comparable {
    /// `POST /v1/decisions`, `POST /v1/feedback`.
    case decide
    /// `POST /v1/challenges/{id}/verify`.
    case verify
    /// Accounts and policies.
    case admin
    /// `GET /metrics`, unless the server runs with `--public-metrics`.
    case metrics

    public static func < (lhs: APIScope, rhs: APIScope) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// The API keys the service accepts, held only as SHA-256 digests.
///
/// Keys file format (`--keys FILE`), one key a line:
/// ```
/// # comment lines and blank lines are ignored
/// 3f9a0c...e1   decide,verify      # chat front end
/// sha256:5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8   admin
/// ```
/// A key is 16 to 256 printable ASCII characters without spaces, `#` or `,`, or `sha256:` and the
/// 64 hex digits (either case) of the key's SHA-256, so the file need not hold the key itself
/// (`printf %s "$KEY" | sha256sum`). Scopes are a comma-separated subset of `decide`, `verify`,
/// `admin`, `metrics`. Lookup hashes the presented key and compares it against every stored digest
/// without early exit, so timing does not reveal how much of a key matched or which key it was.
public struct APIKeyStore: Sendable {
    /// A key holder as the server sees it: never the key itself.
    public struct Principal: Sendable, Hashable {
        /// First 12 hex digits of the key's SHA-256, for logs: identifies the key, reveals nothing usable.
        public var keyID: String
        public var scopes: Set<APIScope>
    }

    private struct Entry: Sendable {
        var digest: [UInt8]
        var principal: Principal
    }

    private let entries: [Entry]

    /// Number of keys loaded.
    public var count: Int { entries.count }

    /// Shortest accepted key; shorter ones are guessable.
    public static let minimumKeyLength = 16
    /// Longest accepted key (bounds hashing work per request).
    public static let maximumKeyLength = 256

    /// Marks a keys-file entry that is the key's SHA-256 rather than the key.
    public static let digestPrefix = "sha256:"

    /// Keys with their scopes, e.g. from tests or configuration code; a key written
    /// `sha256:HEX` is taken as the digest of the key (see the type's documentation).
    /// - Throws: ``APIKeyFileError`` when a key is malformed, duplicated or has no scope.
    public init(keys: [(key: String, scopes: Set<APIScope>)]) throws {
        var entries: [Entry] = []
        for (index, item) in keys.enumerated() {
            let digest: [UInt8]
            if item.key.hasPrefix(Self.digestPrefix) {
                guard let parsed = Self.digest(hex: item.key.utf8.dropFirst(Self.digestPrefix.utf8.count)) else {
                    throw APIKeyFileError(line: index + 1, message: "`sha256:` must be followed by 64 hex digits")
                }
                digest = parsed
            } else {
                try Self.validate(key: item.key, line: index + 1)
                // The core library's SHA-256, the same function lookups use.
                digest = SHA256.hash(Array(item.key.utf8))
            }
            guard !item.scopes.isEmpty else { throw APIKeyFileError(line: index + 1, message: "key has no scope") }
            if entries.contains(where: { $0.digest == digest }) {
                throw APIKeyFileError(line: index + 1, message: "duplicate key")
            }
            entries.append(Entry(digest: digest, principal: Principal(keyID: String(digest.hexString.prefix(12)), scopes: item.scopes)))
        }
        self.entries = entries
    }

    /// Parses the text of a keys file (format in the type's documentation).
    /// - Throws: ``APIKeyFileError`` naming the first bad line (the key text is never echoed).
    public init(parsing text: String) throws {
        var keys: [(key: String, scopes: Set<APIScope>)] = []
        var lineNumbers: [Int] = []
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let lineNumber = index + 1
            var line = Substring(rawLine)
            if let hash = line.firstIndex(of: "#") { line = line[..<hash] }
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            if fields.isEmpty { continue }
            guard fields.count == 2 else {
                throw APIKeyFileError(line: lineNumber, message: "expected `KEY SCOPE[,SCOPE...]`, found \(fields.count) fields")
            }
            var scopes: Set<APIScope> = []
            for name in fields[1].split(separator: ",", omittingEmptySubsequences: false) {
                guard let scope = APIScope(rawValue: String(name)) else {
                    let known = APIScope.allCases.map(\.rawValue).joined(separator: ", ")
                    throw APIKeyFileError(line: lineNumber, message: "unknown scope `\(name.prefix(32))` (scopes: \(known))")
                }
                scopes.insert(scope)
            }
            keys.append((String(fields[0]), scopes))
            lineNumbers.append(lineNumber)
        }
        guard !keys.isEmpty else { throw APIKeyFileError(line: 0, message: "no keys in file") }
        do {
            try self.init(keys: keys)
        } catch let error as APIKeyFileError {
            // Report the file's own line, not the index among keys.
            throw APIKeyFileError(line: lineNumbers[max(0, min(error.line - 1, lineNumbers.count - 1))], message: error.message)
        }
    }

    /// Mode bits a keys file must not have: readable by others, writable by group or others.
    /// (Group read is allowed, for a service group that reads a file owned by root.)
    public static let forbiddenModeBits: mode_t = 0o026

    /// Reads and parses a keys file.
    /// - Throws: ``APIKeyFileError`` for unreadable or malformed files, and for a file other users
    ///   can read or anyone but its owner can write (see ``forbiddenModeBits``).
    public init(contentsOf path: String) throws {
        let data: Data
        do {
            data = try PrivateFile.read(path, what: "keys file", forbiddenModeBits: Self.forbiddenModeBits, maxBytes: 1 << 20)
        } catch let error as PrivateFileError {
            throw APIKeyFileError(line: 0, message: error.description)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw APIKeyFileError(line: 0, message: "keys file is not UTF-8")
        }
        try self.init(parsing: text)
    }

    /// The holder of `presented`, or nil when no key matches.
    ///
    /// Runs in time independent of which key matched and of how many leading bytes agree.
    public func principal(for presented: Substring) -> Principal? {
        guard presented.utf8.count <= Self.maximumKeyLength else { return nil }
        let digest = SHA256.hash(Array(presented.utf8))
        var found: Principal?
        for entry in entries {
            var difference: UInt8 = 0
            for i in 0..<32 { difference |= entry.digest[i] ^ digest[i] }
            // No early exit: every entry is compared whatever the outcome.
            if difference == 0 { found = entry.principal }
        }
        return found
    }

    /// 32 bytes from 64 hex digits of either case, or nil.
    private static func digest(hex: Substring.UTF8View) -> [UInt8]? {
        guard hex.count == 64 else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(after: index)
            guard let high = nibble(hex[index]), let low = nibble(hex[next]) else { return nil }
            bytes.append(high << 4 | low)
            index = hex.index(after: next)
        }
        return bytes
    }

    private static func validate(key: String, line: Int) throws {
        let bytes = Array(key.utf8)
        guard bytes.count >= minimumKeyLength else {
            throw APIKeyFileError(line: line, message: "key is shorter than \(minimumKeyLength) characters")
        }
        guard bytes.count <= maximumKeyLength else {
            throw APIKeyFileError(line: line, message: "key is longer than \(maximumKeyLength) characters")
        }
        guard bytes.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "#") && $0 != UInt8(ascii: ",") }) else {
            throw APIKeyFileError(line: line, message: "key has characters other than printable ASCII (no spaces, `#` or `,`)")
        }
    }
}

/// A problem in an API keys file; `line` is 1-based (0 for the whole file). Never contains key text.
public struct APIKeyFileError: Error, Sendable, Hashable, CustomStringConvertible {
    public var line: Int
    public var message: String
    public init(line: Int, message: String) { self.line = line; self.message = message }
    public var description: String { line > 0 ? "keys file line \(line): \(message)" : message }
}
