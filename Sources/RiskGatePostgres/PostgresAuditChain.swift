import Foundation
import PostgresNIO
import RiskGate
import RiskGateEngine
import RiskGatePolicy

/// The audit log on PostgreSQL: one keyed hash chain per writer connection, one global order.
///
/// Replicas must not take one lock for every decision, so there is no single chain: each pooled
/// connection of each process appends to its own chain (`audit_chains`, a random id), whose
/// records link by `prev_hash` in `seq` order (1, 2, 3, …) exactly as the SQLite log does, and are
/// HMAC-keyed the same way. Every record also takes a global `id` from a sequence before it is
/// hashed, so the hash covers its place in the whole log: `auditEntries` pages by it, anchors name
/// it, and along one chain ids only grow. A chain's first record links to a genesis derived from
/// the chain's id, so records cannot be moved from one chain to another. Each chain's head
/// (`last_seq`, `hash`) is updated in the transaction that appends to it, which catches a deleted
/// tail of any chain; anchors kept elsewhere catch a whole chain deleted together with its head row.
enum PostgresAuditChain {
    /// Where a chain ends, as the writer that extends it remembers it.
    struct Head {
        var chain: String
        var seq: Int64
        var hash: String
        var lastID: Int64
    }

    /// The `prev_hash` of a chain's first record.
    static func genesis(_ chain: String) -> String { SHA256.hex("riskgate-audit-chain\n" + chain) }

    /// A new chain id: 16 random bytes in hex.
    static func newChainID(random: any RandomSource) -> String { random.bytes(16).hexString }

    /// Appends `drafts` to the lease's chain inside the caller's transaction and returns the new
    /// head; the lease keeps its old head until the caller has committed.
    static func append(_ drafts: [AuditRecord], head: Head?, key: SecretsKeyring.Key,
                       random: any RandomSource, pool: PostgresConnectionPool, connection: PostgresConnection) throws -> Head {
        var head = head ?? Head(chain: newChainID(random: random), seq: 0, hash: "", lastID: 0)
        let isNew = head.seq == 0
        if isNew { head.hash = genesis(head.chain) }
        let count = drafts.count
        let ids = try pool.run("SELECT nextval('audit_id_seq') FROM generate_series(1::bigint, \(Int64(count)))", on: connection)
            .map { try $0.decode(Int64.self) }.sorted()
        for (index, draft) in drafts.enumerated() {
            let r = draft.chained(id: ids[index], prevHash: head.hash, key: key)
            head.seq += 1
            try pool.run("""
                INSERT INTO audit (user_id, id, chain, seq, time, kind, policy_hash, outcome, rules, signals, method,
                                   result, reference, prev_hash, hash, key_id)
                VALUES (\(r.user), \(r.id), \(head.chain), \(head.seq), \(r.time), \(r.kind), \(r.policyHash),
                        \(r.outcome), \(r.rules), \(r.signals), \(r.method), \(r.result), \(r.reference), \(r.prevHash),
                        \(r.hash), \(r.keyID))
                """, on: connection)
            head.hash = r.hash
            head.lastID = r.id
        }
        if isNew {
            try pool.run("""
                INSERT INTO audit_chains (chain, started, last_seq, last_id, hash)
                VALUES (\(head.chain), \(Date().timeIntervalSince1970), \(head.seq), \(head.lastID), \(head.hash))
                """, on: connection)
        } else {
            let updated = try pool.run("""
                UPDATE audit_chains SET last_seq = \(head.seq), last_id = \(head.lastID), hash = \(head.hash)
                WHERE chain = \(head.chain)
                """, on: connection)
            guard updated.metadata.rows == 1 else {
                throw StoreError(code: .corrupt, message: "audit chain `\(head.chain)` has no head row", path: pool.location.redacted)
            }
        }
        return head
    }

    static let recordColumns = """
        id, time, kind, user_id, policy_hash, outcome, rules, signals, method, result, reference, prev_hash, hash, key_id
        """

    /// Decodes a row selected with ``recordColumns`` (then any further columns).
    static func record(_ row: PostgresRow) throws -> AuditRecord {
        var cells = row.makeIterator()
        func text() throws -> String? { try cells.next()?.decode(String?.self) ?? nil }
        let id = try cells.next()?.decode(Int64.self) ?? 0
        let time = try text() ?? "", kind = try text() ?? "", user = try text() ?? ""
        let policyHash = try text(), outcome = try text(), rules = try text() ?? "", signals = try text() ?? ""
        let method = try text(), result = try text(), reference = try text(), prevHash = try text() ?? ""
        let hash = try text() ?? "", keyID = try text() ?? ""
        return AuditRecord(id: id, time: time, kind: kind, user: user, policyHash: policyHash, outcome: outcome, rules: rules,
                           signals: signals, method: method, result: result, reference: reference, prevHash: prevHash,
                           keyID: keyID, hash: hash)
    }
}
