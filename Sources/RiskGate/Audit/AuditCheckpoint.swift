import RiskGateEngine
import RiskGatePolicy

/// Where a pruned audit log now starts: the last deleted record's number and hash, authenticated
/// under the secrets key.
///
/// `riskgate audit prune` deletes exported records up to ``throughID`` and leaves this in their
/// place; ``AuditVerifier`` then checks the checkpoint's tag and continues the chain from its
/// ``hash``, so the records kept are still proven to follow, unaltered, the ones shipped away. The
/// tag is keyed: someone who can write the database but does not hold the key cannot move the
/// start of the log forward to hide records.
public struct AuditCheckpoint: Sendable, Hashable, Codable {
    /// The last pruned record: the log continues with record `throughID + 1`.
    public var throughID: Int64
    /// That record's hash: record `throughID + 1` chains after it.
    public var hash: String
    /// When the records were pruned, `YYYY-MM-DDTHH:MM:SS(.mmm)Z`.
    public var time: String
    /// The secrets key that authenticated the checkpoint.
    public var keyID: String
    /// HMAC-SHA256 of ``canonicalBytes`` under the key's audit purpose, hex.
    public var tag: String

    enum CodingKeys: String, CodingKey {
        case hash, time, tag
        case throughID = "through_id"
        case keyID = "key_id"
    }

    /// A checkpoint after record `throughID`, whose hash is `hash`, made at `time` under `key`.
    public init(throughID: Int64, hash: String, time: String, key: SecretsKeyring.Key) {
        self.throughID = throughID; self.hash = hash; self.time = time; self.keyID = key.id; self.tag = ""
        tag = computedTag(key: key)
    }

    /// Rebuilds a stored checkpoint (no hashing).
    public init(throughID: Int64, hash: String, time: String, keyID: String, tag: String) {
        self.throughID = throughID; self.hash = hash; self.time = time; self.keyID = keyID; self.tag = tag
    }

    /// The tag this checkpoint should carry under `key`.
    public func computedTag(key: SecretsKeyring.Key) -> String {
        HMACSHA256.authenticate(key: key.audit, message: canonicalBytes).hexString
    }

    /// Whether the tag is the one `keyring`'s key of that id gives (compared in constant time).
    public func isAuthentic(under keyring: SecretsKeyring) -> Bool {
        guard let key = keyring.key(keyID) else { return false }
        return constantTimeEquals(Array(computedTag(key: key).utf8), Array(tag.utf8))
    }

    /// A version tag, then each field as `length:bytes,` — distinct from a record's
    /// `riskgate-audit-v2` bytes, so a checkpoint's tag can never pass for a record's hash.
    public var canonicalBytes: [UInt8] {
        var out = Array("riskgate-audit-checkpoint-v1\n".utf8)
        for text in [String(throughID), hash, time, keyID] { AuditRecord.appendField(text, to: &out) }
        return out
    }
}
