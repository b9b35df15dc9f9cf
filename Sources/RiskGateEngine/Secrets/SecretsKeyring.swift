import Foundation
import RiskGatePolicy

/// The keys that protect RiskGate's secrets, kept outside the database: OTP codes are keyed
/// hashes, KBA answers are peppered, partial secrets and undelivered codes are encrypted, and
/// audit records are authenticated under them. A copy of the database without the key file can
/// neither test guesses offline nor forge a consistent audit chain.
///
/// A key file holds one or more 256-bit keys, each with an id; the last is the current one. New
/// records use the current key and name its id; older records name theirs, so a key can be
/// rotated (``SecretsKeyFile/rotate(path:random:)``) without rewriting the database.
///
/// Each purpose uses its own key derived from the file's key (HMAC-SHA256 of a label), so a tag
/// made for one purpose is never valid for another.
public struct SecretsKeyring: Sendable {
    /// One key of the file.
    public struct Key: Sendable {
        /// Letters, digits, `-` and `_`, at most 32; stored beside what the key protects.
        public let id: String
        /// What each purpose uses, derived once from the file's 32 bytes.
        let otp: [UInt8]
        let kba: [UInt8]
        let secret: [UInt8]
        let outbox: [UInt8]
        package let audit: [UInt8]

        /// A key from its id and 32 bytes.
        public init(id: String, bytes: [UInt8]) {
            precondition(bytes.count == 32, "a secrets key has 32 bytes")
            self.id = id
            func derive(_ label: String) -> [UInt8] {
                HMACSHA256.authenticate(key: bytes, message: Array("riskgate-key-v1 \(label)".utf8))
            }
            otp = derive("otp"); kba = derive("kba"); secret = derive("partial-secret")
            outbox = derive("outbox"); audit = derive("audit")
        }
    }

    /// Every key, oldest first.
    public let keys: [Key]

    /// The key new records use (the last in the file).
    public var current: Key { keys[keys.count - 1] }

    /// A keyring of `keys`, oldest first (at least one).
    public init(keys: [Key]) {
        precondition(!keys.isEmpty, "a keyring has at least one key")
        self.keys = keys
    }

    /// The key named `id`, or `nil` when the file no longer (or never) held it.
    public func key(_ id: String) -> Key? {
        // Newest first: almost every record names the current key.
        keys.last { $0.id == id }
    }

    /// A keyring of one random key that lives only as long as the process: for memory stores,
    /// replay and tests, whose secrets never outlive them.
    public static func ephemeral(random: any RandomSource = SystemRandomSource()) -> SecretsKeyring {
        SecretsKeyring(keys: [Key(id: "ephemeral", bytes: random.bytes(32))])
    }
}
