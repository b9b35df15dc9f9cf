/// Where an audit log ends: its record count and the last record's hash.
///
/// Kept outside the database (the service logs it every minute; `riskgate audit head` prints it),
/// it becomes an ``AuditAnchor`` that catches a deleted tail even when the store's own head row
/// was deleted with it.
public struct AuditHead: Sendable, Hashable, Codable {
    public var records: Int64
    public var hash: String

    public init(records: Int64, hash: String) { self.records = records; self.hash = hash }

    /// The head of `store`'s log (zero records and the genesis hash when it is empty).
    public init(of store: any StateStore) throws {
        let head = try store.auditHead()
        self.init(records: head?.id ?? 0, hash: head?.hash ?? AuditRecord.genesisHash)
    }

    /// As `--anchor` takes it: `N:HASH`.
    public var anchor: String { "\(records):\(hash)" }
}
