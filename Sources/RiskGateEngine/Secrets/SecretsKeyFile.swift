import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RiskGatePolicy

/// Reading, writing and rotating secrets key files.
///
/// The format is text, one key a line, newest last; `#` starts a comment:
///
///     # RiskGate secrets key file: keep it mode 0600, away from the database.
///     riskgate-key-v1 3f9c21d0 9a1b…(64 hex digits)
///
/// A file readable or writable by group or others is refused: a key anyone on the machine can read
/// protects nothing.
public enum SecretsKeyFile {
    /// The key file used when none is named: the database's path with `.key` appended, created on
    /// first use. Convenient for one machine; in production keep the key on another volume (a
    /// mounted secret) and name it with `--secrets-key`, so a copy of the database directory does
    /// not carry its key.
    public static func defaultPath(forDatabase path: String) -> String { path + ".key" }

    /// Why a key file could not be used.
    public struct Failure: Error, Sendable, Hashable, CustomStringConvertible {
        public var path: String
        public var message: String
        public var description: String { "secrets key file `\(path)`: \(message)" }

        package init(path: String, message: String) {
            self.path = path
            self.message = message
        }
    }

    static let tag = "riskgate-key-v1"
    static let maxFileBytes = 64 * 1024

    /// Loads the keys of the file at `path`.
    ///
    /// - Throws: ``Failure`` when the file is missing, unreadable, readable by group or others, or
    ///   holds a malformed line (named by number, never quoting the key).
    public static func load(path: String) throws(Failure) -> SecretsKeyring {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw Failure(path: path, message: errno == ENOENT ? "no such file (create one with `riskgate keygen \(path)`)" : "cannot read it (\(String(cString: strerror(errno))))")
        }
        guard info.st_mode & S_IFMT == S_IFREG else { throw Failure(path: path, message: "not a regular file") }
        let mode = info.st_mode & 0o777
        guard mode & 0o077 == 0 else {
            throw Failure(path: path, message: "mode \(String(mode, radix: 8)) lets group or others read or write it; run `chmod 600 \(path)`")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Failure(path: path, message: "cannot read it")
        }
        guard data.count <= maxFileBytes else { throw Failure(path: path, message: "larger than \(maxFileBytes) bytes") }
        guard let text = String(data: data, encoding: .utf8) else { throw Failure(path: path, message: "not UTF-8 text") }
        var keys: [SecretsKeyring.Key] = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count == 3, fields[0] == tag else {
                throw Failure(path: path, message: "line \(index + 1) is not `\(tag) ID HEX`")
            }
            let id = String(fields[1])
            guard isValidID(id) else {
                throw Failure(path: path, message: "line \(index + 1): key id must be 1 to 32 letters, digits, `-` or `_`")
            }
            guard let bytes = [UInt8](hexString: fields[2]), bytes.count == 32 else {
                throw Failure(path: path, message: "line \(index + 1): the key must be 64 hex digits (256 bits)")
            }
            guard !keys.contains(where: { $0.id == id }) else {
                throw Failure(path: path, message: "line \(index + 1): key id `\(id)` appears twice")
            }
            keys.append(SecretsKeyring.Key(id: id, bytes: bytes))
        }
        guard !keys.isEmpty else { throw Failure(path: path, message: "holds no key") }
        return SecretsKeyring(keys: keys)
    }

    /// Loads the file at `path`, first creating it with one new key when it does not exist.
    public static func loadOrCreate(path: String, random: any RandomSource = SystemRandomSource()) throws(Failure) -> SecretsKeyring {
        if !FileManager.default.fileExists(atPath: path) {
            do throws(Failure) {
                try create(path: path, random: random)
            } catch where FileManager.default.fileExists(atPath: path) {
                // Another process created it first: use theirs.
            }
        }
        return try load(path: path)
    }

    /// Writes a new key file with one random key, mode 0600; refuses to replace an existing file.
    public static func create(path: String, random: any RandomSource = SystemRandomSource()) throws(Failure) {
        let header = "# RiskGate secrets key file: keep it mode 0600, away from the database and out of backups of it.\n"
        try write(path: path, text: header + line(random: random), exclusive: true)
    }

    /// Appends a new random key, which becomes the current one; older keys stay to read older records.
    public static func rotate(path: String, random: any RandomSource = SystemRandomSource()) throws(Failure) {
        _ = try load(path: path)
        guard let data = FileManager.default.contents(atPath: path), var text = String(data: data, encoding: .utf8) else {
            throw Failure(path: path, message: "cannot read it")
        }
        if !text.isEmpty && !text.hasSuffix("\n") { text += "\n" }
        // Written beside and renamed over, so a crash leaves the old file or the new, never half of one.
        try write(path: path + ".tmp", text: text + line(random: random), exclusive: false)
        guard rename(path + ".tmp", path) == 0 else {
            throw Failure(path: path, message: "cannot replace it (\(String(cString: strerror(errno))))")
        }
    }

    /// Writes the audit-purpose keys of `keyring` (one `riskgate-audit-key-v1 ID HEX` line each,
    /// oldest first) to a new file, mode 0600: what a SIEM needs to verify exported audit records
    /// on its side, and nothing that opens codes, answers or secrets.
    public static func writeAuditKeys(of keyring: SecretsKeyring, to path: String) throws(Failure) {
        guard !FileManager.default.fileExists(atPath: path) else { throw Failure(path: path, message: "already exists") }
        var text = "# RiskGate audit verification keys (HMAC-SHA256 of audit records): keep it mode 0600.\n"
        for key in keyring.keys { text += "riskgate-audit-key-v1 \(key.id) \(key.audit.hexString)\n" }
        try write(path: path, text: text, exclusive: true)
    }

    private static func line(random: any RandomSource) -> String {
        "\(tag) \(random.bytes(4).hexString) \(random.bytes(32).hexString)\n"
    }

    static func isValidID(_ id: String) -> Bool {
        (1...32).contains(id.utf8.count) && id.utf8.allSatisfy {
            ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x2D || $0 == 0x5F
        }
    }

    /// Creates `path` with mode 0600 from the start (never world-readable, not even for an instant)
    /// and makes the bytes durable before returning.
    private static func write(path: String, text: String, exclusive: Bool) throws(Failure) {
        let flags = O_WRONLY | O_CREAT | O_CLOEXEC | (exclusive ? O_EXCL : O_TRUNC)
        let fd = open(path, flags, 0o600)
        guard fd >= 0 else {
            throw Failure(path: path, message: errno == EEXIST ? "already exists (rotate it with `riskgate keygen --rotate`)" : "cannot create it (\(String(cString: strerror(errno))))")
        }
        defer { close(fd) }
        // O_TRUNC on an existing file keeps its mode: tighten it.
        fchmod(fd, 0o600)
        do {
            try FileHandle(fileDescriptor: fd, closeOnDealloc: false).write(contentsOf: Data(text.utf8))
        } catch {
            throw Failure(path: path, message: "cannot write it (\(error.localizedDescription))")
        }
        guard fsync(fd) == 0 else { throw Failure(path: path, message: "cannot sync it (\(String(cString: strerror(errno))))") }
    }
}
