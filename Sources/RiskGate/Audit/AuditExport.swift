import Foundation
import RiskGateEngine
import RiskGatePolicy

/// Audit records as JSON lines for a SIEM, and the mark of how far the log has been shipped.
///
/// Each line holds every column of one record, `rules` and `signals` as the exact JSON text the
/// chain covers (a string, not re-encoded), so a receiver holding the audit key can recompute each
/// hash from the line alone (docs/state.md, "Exporting and pruning the audit log").
public enum AuditExport {
    /// The blob that holds the last record id shipped by `riskgate audit export` or the service's
    /// audit stream: `riskgate audit prune` refuses to go past it unless told to.
    public static let exportedThroughBlob = "audit.exported_through"

    /// `record` as one compact JSON object (keys sorted, no newline).
    public static func line(_ record: AuditRecord) -> String {
        var w = JSONWriter(escapesSlashes: false, capacity: 256 + record.rules.utf8.count + record.signals.utf8.count)
        // Keys written in sorted order, as every JSON this project writes.
        do throws(JSONWriter.Failure) {
            try w.beginObject()
            w.key("hash"); w.string(record.hash)
            w.key("id"); w.int(Int(record.id))
            w.key("key_id"); w.string(record.keyID)
            w.key("kind"); w.string(record.kind)
            w.key("method"); optional(record.method, &w)
            w.key("outcome"); optional(record.outcome, &w)
            w.key("policy_hash"); optional(record.policyHash, &w)
            w.key("prev_hash"); w.string(record.prevHash)
            w.key("reference"); optional(record.reference, &w)
            w.key("result"); optional(record.result, &w)
            w.key("rules"); w.string(record.rules)
            w.key("signals"); w.string(record.signals)
            w.key("time"); w.string(record.time)
            w.key("user"); w.string(record.user)
            w.endObject()
        } catch {
            // A flat object of strings and one integer cannot nest too deep or hold a non-finite number.
        }
        return w.text
    }

    private static func optional(_ text: String?, _ w: inout JSONWriter) {
        if let text { w.string(text) } else { w.null() }
    }

    /// Writes every record with id greater than `after` to `write`, one line each, reading the store
    /// a page at a time so a log of any size streams in bounded memory.
    ///
    /// - Returns: how many records were written and the last one's id (`after` when none).
    @discardableResult
    public static func stream(from store: any StateStore, after: Int64, pageSize: Int = 1_000,
                              write: (String) throws -> Void) throws -> (count: Int, lastID: Int64) {
        var last = after
        var count = 0
        while true {
            let page = try store.auditEntries(after: last, limit: pageSize)
            for record in page {
                try write(line(record))
                last = record.id
                count += 1
            }
            if page.count < pageSize { return (count, last) }
        }
    }

    /// The last record id marked as shipped, 0 when none.
    public static func exportedThrough(_ store: any StateStore) throws -> Int64 {
        guard let data = try store.loadBlob(exportedThroughBlob) else { return 0 }
        return Int64(String(decoding: data, as: UTF8.self)) ?? 0
    }

    /// Marks records up to `id` as shipped; the mark never moves backwards.
    public static func markExported(through id: Int64, in store: any StateStore) throws {
        guard id > (try exportedThrough(store)) else { return }
        try store.commit(StateChange(blobs: [exportedThroughBlob: Data(String(id).utf8)]))
    }
}
