import Foundation
import PostgresNIO
import RiskGate
import RiskGateEngine

/// Checks a PostgreSQL store's audit log: every chain (``PostgresAuditChain``) record by record,
/// each chain against its head row, and anchors kept elsewhere.
///
/// Per chain, as ``AuditVerifier`` does for the SQLite log: `seq` runs 1, 2, 3, … without a gap,
/// each `prev_hash` is the hash before it (the first, the chain's genesis), each HMAC verifies
/// under the key its record names, ids grow along the chain, and the chain ends at its recorded
/// head. A record in no known chain, or an anchor whose record is gone or differs, fails too.
public enum PostgresAuditVerifier {
    /// Verifies `store`'s whole audit log under its keys.
    ///
    /// - Complexity: O(n) HMACs; records are read a page at a time, not kept.
    /// - Throws: ``StoreError`` when the database cannot be read.
    public static func verify(store: PostgresStateStore, anchors: [AuditAnchor] = []) throws -> AuditVerification {
        let pool = store.pool
        let keyring = store.secrets
        let anchorByID = Dictionary(anchors.map { ($0.id, $0.hash) }, uniquingKeysWith: { a, _ in a })
        var anchorsSeen = Set<Int64>()
        var count = 0
        let globalHead = try store.auditHead()
        let headHash = globalHead?.hash ?? AuditRecord.genesisHash
        func broken(_ id: Int64, _ problem: String) -> AuditVerification {
            AuditVerification(records: count, valid: false, firstBadID: id, problem: problem, headHash: headHash)
        }

        let chains = try pool.read { connection in
            try pool.run("SELECT chain, last_seq, last_id, hash FROM audit_chains ORDER BY started, chain", on: connection)
                .map { try $0.decode((String, Int64, Int64, String).self) }
        }
        if let stray = try pool.read({ connection in
            try pool.run("""
                SELECT min(id) FROM audit a WHERE NOT EXISTS (SELECT 1 FROM audit_chains c WHERE c.chain = a.chain)
                """, on: connection).first.flatMap { try $0.decode(Int64?.self) }
        }) {
            return broken(stray, "record \(stray) belongs to no recorded audit chain (its chain's head row was deleted)")
        }
        for (chain, lastSeq, lastID, chainHash) in chains {
            var previousHash = PostgresAuditChain.genesis(chain)
            var expectedSeq: Int64 = 1
            var previousID = Int64.min
            var lastSeenID: Int64 = 0
            while true {
                let page = try pool.read { connection in
                    try pool.run("""
                        SELECT \(unescaped: PostgresAuditChain.recordColumns), seq FROM audit
                        WHERE chain = \(chain) AND seq >= \(expectedSeq) ORDER BY seq LIMIT 10000
                        """, on: connection).map { row -> (AuditRecord, Int64) in
                        (try PostgresAuditChain.record(row), try Array(row)[14].decode(Int64.self))
                    }
                }
                for (record, seq) in page {
                    if seq != expectedSeq {
                        return broken(record.id, "chain \(chain.prefix(12)): record \(expectedSeq) is missing (next is \(seq))")
                    }
                    if record.id <= previousID {
                        return broken(record.id, "chain \(chain.prefix(12)): record id \(record.id) is out of order")
                    }
                    if record.prevHash != previousHash {
                        return broken(record.id, "prev_hash does not match the hash of the record before it in its chain (deleted or reordered)")
                    }
                    guard let key = keyring.key(record.keyID) else {
                        return broken(record.id, "record is keyed under `\(record.keyID.prefix(32))`, which the secrets key file does not hold")
                    }
                    if !constantTimeEquals(Array(record.computedHash(key: key).utf8), Array(record.hash.utf8)) {
                        return broken(record.id, "hash does not match the record's contents under the secrets key (edited or forged)")
                    }
                    if let anchored = anchorByID[record.id] {
                        if anchored != record.hash {
                            return broken(record.id, "record \(record.id) differs from the anchor kept outside the database")
                        }
                        anchorsSeen.insert(record.id)
                    }
                    previousHash = record.hash
                    previousID = record.id
                    lastSeenID = record.id
                    expectedSeq += 1
                    count += 1
                }
                if page.count < 10000 { break }
            }
            if expectedSeq - 1 != lastSeq {
                return broken(expectedSeq - 1 < lastSeq ? lastID : lastSeenID,
                              "chain \(chain.prefix(12)) ends at record \(expectedSeq - 1) but its recorded head is record \(lastSeq) (tail deleted)")
            }
            if previousHash != chainHash {
                return broken(lastSeenID, "chain \(chain.prefix(12)): the last record's hash differs from the recorded head")
            }
        }
        if let missing = anchors.map(\.id).filter({ !anchorsSeen.contains($0) }).min() {
            return broken(missing, "record \(missing), named by an anchor, is not in the log (deleted)")
        }
        return AuditVerification(records: count, valid: true, firstBadID: nil, problem: nil, headHash: headHash)
    }
}
