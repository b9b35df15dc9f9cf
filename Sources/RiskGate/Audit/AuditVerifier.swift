import Foundation
import RiskGateEngine
import RiskGatePolicy

/// The result of checking an audit log's hash chain.
public struct AuditVerification: Sendable, Hashable, Codable {
    /// Records checked.
    public var records: Int
    /// The chain is intact and ends at the recorded head.
    public var valid: Bool
    /// Id of the first record that does not verify (or where a record is missing).
    public var firstBadID: Int64?
    /// What is wrong there, lowercase, one line.
    public var problem: String?
    /// Hash of the last record: keep it elsewhere to detect a truncated tail later.
    public var headHash: String
    /// The last pruned record when the log starts at a checkpoint (the chain is proven from the
    /// record after it), else `nil`.
    public var prunedThrough: Int64?

    enum CodingKeys: String, CodingKey {
        case records, valid, problem
        case firstBadID = "first_bad_id"
        case headHash = "head_hash"
        case prunedThrough = "pruned_through"
    }

    /// For verifiers of other stores' logs (the PostgreSQL store's chains).
    package init(records: Int, valid: Bool, firstBadID: Int64?, problem: String?, headHash: String, prunedThrough: Int64? = nil) {
        self.records = records; self.valid = valid; self.firstBadID = firstBadID; self.problem = problem; self.headHash = headHash
        self.prunedThrough = prunedThrough
    }
}

/// A record number and the hash it had, kept outside the database (a log line, a ticket, another
/// system): ``AuditVerifier`` checks that record `id` is still there with that hash, which catches a
/// tail deleted together with the store's own head row.
public struct AuditAnchor: Sendable, Hashable, CustomStringConvertible {
    public var id: Int64
    public var hash: String
    public init(id: Int64, hash: String) { self.id = id; self.hash = hash }

    /// Reads `N:HASH` (as `riskgate audit head` prints it: the record count and the head hash).
    public init?(_ text: String) {
        let parts = text.split(separator: ":", maxSplits: 1)
        guard parts.count == 2, let id = Int64(parts[0]), id >= 1, parts[1].utf8.count == 64,
              [UInt8](hexString: parts[1]) != nil else { return nil }
        self.init(id: id, hash: parts[1].lowercased())
    }

    public var description: String { "\(id):\(hash)" }
}

/// Checks the audit chain: edited, deleted, inserted and reordered records are all caught, and
/// the first bad one is named. Records are keyed (HMAC-SHA256 under the secrets key), so a chain
/// rebuilt by someone without the key fails at its first record.
public enum AuditVerifier {
    /// Verifies a sequence of records in id order against the store's recorded head (when it keeps
    /// one) and against anchors kept elsewhere. With a `checkpoint` (a pruned log), its tag is
    /// checked and the chain starts after it; anchors for pruned records can no longer be checked,
    /// except one naming the checkpoint's own record.
    ///
    /// - Complexity: O(n) HMACs, streaming: records are not kept.
    public static func verify<S: Sequence>(_ records: S, head: (id: Int64, hash: String)? = nil, keyring: SecretsKeyring,
                                           anchors: [AuditAnchor] = [], checkpoint: AuditCheckpoint? = nil) -> AuditVerification
    where S.Element == AuditRecord {
        var previousHash = checkpoint?.hash ?? AuditRecord.genesisHash
        var expectedID: Int64 = (checkpoint?.throughID ?? 0) + 1
        var count = 0
        let anchorByID = Dictionary(anchors.map { ($0.id, $0.hash) }, uniquingKeysWith: { a, _ in a })
        func broken(_ id: Int64, _ problem: String) -> AuditVerification {
            AuditVerification(records: count, valid: false, firstBadID: id, problem: problem, headHash: previousHash,
                              prunedThrough: checkpoint?.throughID)
        }
        if let checkpoint {
            guard checkpoint.throughID >= 1, checkpoint.isAuthentic(under: keyring) else {
                return broken(max(1, checkpoint.throughID), "the pruning checkpoint's tag does not verify under the secrets key (forged or edited)")
            }
            if let anchored = anchorByID[checkpoint.throughID], anchored != checkpoint.hash {
                return broken(checkpoint.throughID, "record \(checkpoint.throughID) differs from the anchor kept outside the database")
            }
        }
        for record in records {
            if record.id != expectedID {
                return broken(min(record.id, expectedID),
                              record.id > expectedID ? "record \(expectedID) is missing (next is \(record.id))" : "record id \(record.id) is out of order")
            }
            if record.prevHash != previousHash {
                return broken(record.id, "prev_hash does not match the hash of the record before it (deleted or reordered)")
            }
            guard let key = keyring.key(record.keyID) else {
                return broken(record.id, "record is keyed under `\(record.keyID.prefix(32))`, which the secrets key file does not hold")
            }
            if !constantTimeEquals(Array(record.computedHash(key: key).utf8), Array(record.hash.utf8)) {
                return broken(record.id, "hash does not match the record's contents under the secrets key (edited or forged)")
            }
            if let anchored = anchorByID[record.id], anchored != record.hash {
                return broken(record.id, "record \(record.id) differs from the anchor kept outside the database")
            }
            previousHash = record.hash
            expectedID += 1
            count += 1
        }
        if let missing = anchors.map(\.id).filter({ $0 >= expectedID }).min() {
            return broken(missing, "the log ends at record \(expectedID - 1) but an anchor names record \(missing) (tail deleted)")
        }
        if let head {
            if head.id != expectedID - 1 {
                return broken(min(head.id, expectedID), "the log ends at record \(expectedID - 1) but the recorded head is record \(head.id) (tail deleted)")
            }
            if head.hash != previousHash {
                return broken(head.id, "the last record's hash differs from the recorded head")
            }
        }
        return AuditVerification(records: count, valid: true, firstBadID: nil, problem: nil, headHash: previousHash,
                                 prunedThrough: checkpoint?.throughID)
    }

    /// Verifies a store's whole audit log (from its checkpoint, when pruned) under the store's keys.
    public static func verify(store: any StateStore, anchors: [AuditAnchor] = []) throws -> AuditVerification {
        verify(try store.auditEntries(), head: try store.auditHead(), keyring: store.secrets, anchors: anchors,
               checkpoint: try store.auditCheckpoint())
    }

    /// Opens the SQLite database at `path` (never creating it) and verifies its audit log.
    ///
    /// - Parameter secrets: the keys; `nil` reads the key file beside the database.
    /// - Throws: ``StoreError`` when the file is missing, not a database, unreadable, or its key file is unusable.
    public static func verify(databaseAt path: String, secrets: SecretsKeyring? = nil,
                              anchors: [AuditAnchor] = []) throws -> AuditVerification {
        var options = SQLiteStateStore.Options()
        options.createIfMissing = false
        let store = try SQLiteStateStore(path: path, options: options, secrets: secrets)
        return try verify(store: store, anchors: anchors)
    }
}
