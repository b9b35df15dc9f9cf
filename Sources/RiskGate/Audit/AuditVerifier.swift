import Foundation

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

    enum CodingKeys: String, CodingKey {
        case records, valid, problem
        case firstBadID = "first_bad_id"
        case headHash = "head_hash"
    }
}

/// Checks the audit hash chain: edited, deleted, inserted and reordered records are all caught,
/// and the first bad one is named.
public enum AuditVerifier {
    /// Verifies a sequence of records in id order against the store's recorded head (when it keeps one).
    ///
    /// - Complexity: O(n) hashes, streaming: records are not kept.
    public static func verify<S: Sequence>(_ records: S, head: (id: Int64, hash: String)? = nil) -> AuditVerification
    where S.Element == AuditRecord {
        var previousHash = AuditRecord.genesisHash
        var expectedID: Int64 = 1
        var count = 0
        func broken(_ id: Int64, _ problem: String) -> AuditVerification {
            AuditVerification(records: count, valid: false, firstBadID: id, problem: problem, headHash: previousHash)
        }
        for record in records {
            if record.id != expectedID {
                return broken(min(record.id, expectedID),
                              record.id > expectedID ? "record \(expectedID) is missing (next is \(record.id))" : "record id \(record.id) is out of order")
            }
            if record.prevHash != previousHash {
                return broken(record.id, "prev_hash does not match the hash of the record before it (deleted or reordered)")
            }
            if record.computedHash() != record.hash {
                return broken(record.id, "hash does not match the record's contents (edited)")
            }
            previousHash = record.hash
            expectedID += 1
            count += 1
        }
        if let head {
            if head.id != expectedID - 1 {
                return broken(min(head.id, expectedID), "the log ends at record \(expectedID - 1) but the recorded head is record \(head.id) (tail deleted)")
            }
            if head.hash != previousHash {
                return broken(head.id, "the last record's hash differs from the recorded head")
            }
        }
        return AuditVerification(records: count, valid: true, firstBadID: nil, problem: nil, headHash: previousHash)
    }

    /// Verifies a store's whole audit log.
    public static func verify(store: any StateStore) throws -> AuditVerification {
        verify(try store.auditEntries(), head: try store.auditHead())
    }

    /// Opens the SQLite database at `path` (never creating it) and verifies its audit log.
    ///
    /// - Throws: ``StoreError`` when the file is missing, not a database, or unreadable.
    public static func verify(databaseAt path: String) throws -> AuditVerification {
        var options = SQLiteStateStore.Options()
        options.createIfMissing = false
        let store = try SQLiteStateStore(path: path, options: options)
        return try verify(store: store)
    }
}
