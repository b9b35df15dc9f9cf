import CSQLite
import Foundation
import RiskGate
import RiskGateEngine

/// Stored audit rows through what `riskgate audit verify` runs: ``AuditVerifier/verify(databaseAt:)``
/// on a state database (the store reads the rows, the verifier recomputes the chain).
///
/// The input is rows, one a line, in the `audit` table's column order separated by tabs (`id`,
/// `time`, `kind`, `user`, `policy_hash`, `outcome`, `rules`, `signals`, `method`, `result`,
/// `reference`, `prev_hash`, `hash`, `key_id`; `\N` is NULL), and optionally a line `head<TAB>id<TAB>hash` for
/// `audit_head`. They are written with raw SQL into a copy of a fresh store's database, as a tamperer
/// would, bytes as given (not necessarily UTF-8). Rows SQLite refuses (a duplicate id, a NULL where
/// the schema forbids it) are left out.
///
/// The verifier answers (it does not throw for a database the store created), and its answer is
/// consistent: `valid` exactly when there is no problem and no first bad id, every row counted when
/// valid, the head hash then the last row's.
enum AuditCheck {
    static func run(_ bytes: UnsafeRawBufferPointer, _ f: inout Findings) {
        guard let template = Template.shared else {
            f.fail("cannot create the template database in \(NSTemporaryDirectory())")
            return
        }
        // Its own file a call: the corpus replay checks inputs in parallel.
        let work = template.workPrefix + UUID().uuidString + ".sqlite"
        for suffix in ["", "-wal", "-shm"] { unlink(work + suffix) }
        guard FileManager.default.createFile(atPath: work, contents: Data(template.bytes)) else {
            f.fail("cannot write \(work)")
            return
        }
        defer { for suffix in ["", "-wal", "-shm"] { unlink(work + suffix) } }
        let inserted = insert(bytes, into: work)
        let verification: AuditVerification
        do {
            verification = try AuditVerifier.verify(databaseAt: work, secrets: template.keyring)
        } catch {
            f.fail("verify threw for a database the store created: \(error)")
            return
        }
        f.require(verification.valid == (verification.problem == nil), "valid is \(verification.valid) with problem \(verification.problem ?? "nil")")
        f.require(verification.valid == (verification.firstBadID == nil), "valid is \(verification.valid) with first bad id \(verification.firstBadID.map(String.init) ?? "nil")")
        if let problem = verification.problem { f.require(isMessage(problem), "problem is empty: \(problem.debugDescription)") }
        f.require(verification.records <= inserted.rows, "\(verification.records) records verified of \(inserted.rows) stored")
        if verification.valid {
            f.require(verification.records == inserted.rows, "valid with \(verification.records) records of \(inserted.rows)")
        }
    }

    /// Writes the rows of `bytes` into the database at `path`; returns how many rows were stored.
    private static func insert(_ bytes: UnsafeRawBufferPointer, into path: String) -> (rows: Int, head: Bool) {
        var db: OpaquePointer?
        guard sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, nil) == SQLITE_OK, let db else { return (0, false) }
        defer { sqlite3_close_v2(db) }
        sqlite3_exec(db, "BEGIN", nil, nil, nil)
        var insertRow: OpaquePointer?
        var insertHead: OpaquePointer?
        sqlite3_prepare_v2(db, "INSERT INTO audit (id, time, kind, user, policy_hash, outcome, rules, signals, method, result, reference, prev_hash, hash, key_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", -1, &insertRow, nil)
        sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO audit_head (singleton, last_id, hash) VALUES (1, ?, ?)", -1, &insertHead, nil)
        defer { sqlite3_finalize(insertRow); sqlite3_finalize(insertHead) }
        var rows = 0
        var head = false
        for line in bytes.split(separator: UInt8(ascii: "\n")) {
            let fields = line.split(separator: UInt8(ascii: "\t"), omittingEmptySubsequences: false)
            let isHead = fields.first.map { $0.elementsEqual("head".utf8) } ?? false
            guard let statement = isHead ? insertHead : insertRow else { continue }
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
            let values = isHead ? fields.dropFirst() : fields[...]
            for (i, field) in values.prefix(14).enumerated() {
                let column = Int32(i + 1)
                if i == 0 {
                    // The id (or the head's last id): an integer, as the schema's INTEGER columns hold.
                    sqlite3_bind_int64(statement, column, Int64(String(decoding: field, as: UTF8.self)) ?? 0)
                } else if field.elementsEqual(#"\N"#.utf8) {
                    sqlite3_bind_null(statement, column)
                } else {
                    _ = field.withUnsafeBytes { raw in
                        sqlite3_bind_text(statement, column, raw.baseAddress?.assumingMemoryBound(to: CChar.self), Int32(raw.count), sqliteTransient)
                    }
                }
            }
            if sqlite3_step(statement) == SQLITE_DONE {
                if isHead { head = true } else { rows += 1 }
            }
        }
        sqlite3_exec(db, "COMMIT", nil, nil, nil)
        return (rows, head)
    }

    /// `SQLITE_TRANSIENT`: SQLite copies the bound bytes.
    private static let sqliteTransient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    /// A fresh store's database, made once a process; each input gets a copy of its bytes.
    private final class Template: Sendable {
        /// An array, not `Data`: LeakSanitizer does not see a pointer inside `Data`'s enum (its
        /// spare bits hold the case), so a `Data` kept for the whole run is reported as leaked.
        let bytes: [UInt8]
        let workPrefix: String
        /// A fixed key, so the corpus's keyed records verify the same in every run.
        let keyring = SecretsKeyring(keys: [SecretsKeyring.Key(id: "fuzz", bytes: [UInt8](repeating: 0x42, count: 32))])

        static let shared: Template? = Template()

        private init?() {
            let base = NSTemporaryDirectory() + "riskgate-fuzz-audit-\(getpid())"
            let store = base + "-store.sqlite", path = base + "-template.sqlite"
            defer { for file in [store, path] { for suffix in ["", "-wal", "-shm"] { unlink(file + suffix) } } }
            do {
                _ = try SQLiteStateStore(path: store, secrets: keyring)
            } catch {
                return nil
            }
            // One self-contained file with the store's schema, whether or not the store's WAL was checkpointed.
            var db: OpaquePointer?
            guard sqlite3_open_v2(store, &db, SQLITE_OPEN_READWRITE, nil) == SQLITE_OK else { sqlite3_close_v2(db); return nil }
            let copied = sqlite3_exec(db, "VACUUM INTO '\(path)'", nil, nil, nil)
            sqlite3_close_v2(db)
            guard copied == SQLITE_OK, let bytes = FileManager.default.contents(atPath: path) else { return nil }
            self.bytes = [UInt8](bytes)
            workPrefix = base + "-"
        }
    }
}
