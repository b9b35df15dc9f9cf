import Foundation
import RiskGateEngine
import RiskGatePolicy

/// One stored, numbered, chained and keyed audit entry.
///
/// `hash` = HMAC-SHA256 under the secrets key named by `keyID` of (`prevHash` as ASCII hex ||
/// ``canonicalBytes``); the first record's `prevHash` is 64 zeros. Every field but `hash` is
/// covered, including `id` (the sequence number) and `keyID`, so an edit, a deletion or a
/// reordering breaks the chain at the first affected record; and because the chain is keyed,
/// someone who can write the file but does not hold the key cannot rebuild a consistent one.
public struct AuditRecord: Sendable, Hashable, Codable {
    public var id: Int64
    /// `YYYY-MM-DDTHH:MM:SS(.mmm)Z`, hashed as stored.
    public var time: String
    public var kind: String
    public var user: String
    public var policyHash: String?
    public var outcome: String?
    /// Rule ids as a compact JSON array.
    public var rules: String
    /// Signal values as a compact JSON object with sorted keys.
    public var signals: String
    public var method: String?
    public var result: String?
    public var reference: String?
    public var prevHash: String
    /// The secrets key that authenticated the record.
    public var keyID: String
    public var hash: String

    /// The `prevHash` of the first record.
    public static let genesisHash = String(repeating: "0", count: 64)

    enum CodingKeys: String, CodingKey {
        case id, time, kind, user, outcome, rules, signals, method, result, reference, hash
        case policyHash = "policy_hash"
        case prevHash = "prev_hash"
        case keyID = "key_id"
    }

    /// Numbers and chains `event` after the record whose hash is `prevHash`, keyed under `key`.
    public init(id: Int64, event: AuditEvent, prevHash: String, key: SecretsKeyring.Key) {
        self = AuditRecord(draft: event).chained(id: id, prevHash: prevHash, key: key)
    }

    /// `event`'s columns without number or chain: the costly part (JSON, timestamp) done ahead, off
    /// the thread that chains records. ``chained(id:prevHash:)`` completes it.
    package init(draft event: AuditEvent) {
        self.init(id: 0, time: Timestamp.format(event.time), kind: event.kind.rawValue, user: event.user,
                  policyHash: event.policyHash, outcome: event.outcome, rules: AuditRecord.compactJSON(event.rules),
                  signals: event.renderedSignals ?? AuditRecord.compactJSON(event.signals), method: event.method, result: event.result,
                  reference: event.reference, prevHash: "", keyID: "", hash: "")
    }

    /// This draft numbered `id`, chained after `prevHash` and keyed under `key`.
    package func chained(id: Int64, prevHash: String, key: SecretsKeyring.Key) -> AuditRecord {
        var record = self
        record.id = id
        record.prevHash = prevHash
        record.keyID = key.id
        record.hash = record.computedHash(key: key)
        return record
    }

    /// Rebuilds a record from stored columns (no hashing).
    public init(id: Int64, time: String, kind: String, user: String, policyHash: String?, outcome: String?,
                rules: String, signals: String, method: String?, result: String?, reference: String?,
                prevHash: String, keyID: String, hash: String) {
        self.id = id; self.time = time; self.kind = kind; self.user = user; self.policyHash = policyHash
        self.outcome = outcome; self.rules = rules; self.signals = signals; self.method = method
        self.result = result; self.reference = reference; self.prevHash = prevHash; self.keyID = keyID; self.hash = hash
    }

    /// This draft numbered `id`, chained after `prevHash` and keyed under `key`, whose audit key
    /// `mac` holds ready (the same hash as ``chained(id:prevHash:key:)``, without setting the key up).
    package func chained(id: Int64, prevHash: String, key: SecretsKeyring.Key, mac: KeyedHMAC) -> AuditRecord {
        var record = self
        record.id = id
        record.prevHash = prevHash
        record.keyID = key.id
        var previous = prevHash
        let bytes = record.canonicalBytes
        record.hash = previous.withUTF8 { previous in
            bytes.withUnsafeBytes { mac.authenticate(UnsafeRawBufferPointer(previous), $0) }
        }.hexString
        return record
    }

    /// The hash this record should carry given its fields and `prevHash`, under `key`.
    public func computedHash(key: SecretsKeyring.Key) -> String {
        var message = Array(prevHash.utf8)
        message += canonicalBytes
        return HMACSHA256.authenticate(key: key.audit, message: message).hexString
    }

    /// Unambiguous serialisation: a version tag, then every field as `length:bytes,` (`-` for absent).
    public var canonicalBytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(160 + rules.utf8.count + signals.utf8.count)
        out += "riskgate-audit-v2\n".utf8
        // One call a field (not a loop over an array literal): this runs for every decision.
        Self.appendField(String(id), to: &out); Self.appendField(time, to: &out); Self.appendField(kind, to: &out)
        Self.appendField(user, to: &out); Self.appendField(policyHash, to: &out); Self.appendField(outcome, to: &out)
        Self.appendField(rules, to: &out); Self.appendField(signals, to: &out); Self.appendField(method, to: &out)
        Self.appendField(result, to: &out); Self.appendField(reference, to: &out); Self.appendField(keyID, to: &out)
        return out
    }

    /// Appends one field of a canonical serialisation (records and checkpoints alike):
    /// `length:bytes,`, or `-` for an absent field, so no two field lists give the same bytes.
    static func appendField(_ text: String?, to out: inout [UInt8]) {
        guard let text else { out.append(UInt8(ascii: "-")); return }
        out += String(text.utf8.count).utf8
        out.append(UInt8(ascii: ":"))
        out += text.utf8
        out.append(UInt8(ascii: ","))
    }

    /// Rule ids as compact JSON, as `JSONEncoder` (`.sortedKeys`, `.withoutEscapingSlashes`) writes them.
    static func compactJSON(_ rules: [String]) -> String {
        var w = JSONWriter(escapesSlashes: false)
        do throws(JSONWriter.Failure) { try w.strings(rules) } catch { return "null" }
        return w.text
    }

    /// Signal values as compact JSON with sorted keys, as `JSONEncoder` (`.sortedKeys`,
    /// `.withoutEscapingSlashes`) writes them: the hash chain covers these exact bytes.
    static func compactJSON(_ signals: [String: JSONValue]) -> String {
        var w = JSONWriter(escapesSlashes: false, capacity: 512)
        do throws(JSONWriter.Failure) { try w.object(signals) } catch { return "null" }
        return w.text
    }

    /// A string dictionary (an outbox body) as compact JSON with sorted keys.
    static func compactJSON(_ members: [String: String]) -> String {
        var w = JSONWriter(escapesSlashes: false)
        do throws(JSONWriter.Failure) { try w.object(members) } catch { return "null" }
        return w.text
    }
}
