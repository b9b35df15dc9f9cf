import Foundation
import PostgresNIO
import RiskGate

/// The login model's global statistics on PostgreSQL, merged by addition.
///
/// The engine persists its statistics as one blob (``GlobalLoginStats/encoded()``: `RGGS`,
/// version, totals, then `key, parent, count` records). Written as a blob, the last replica to
/// flush would overwrite what every other replica learned; here the store instead remembers the
/// counts it last read or wrote and adds only the difference (`count = count + delta`) to
/// `model_counts`, so flushes from any number of replicas add up. Counts that went down (the
/// engine prunes rare values when its table is full) are not subtracted.
final class PostgresModelStats: @unchecked Sendable {
    struct Counts: Equatable {
        var total: Int64 = 0
        var users: Int64 = 0
        /// key → (parent, count)
        var rows: [UInt64: (parent: UInt64, count: Int64)] = [:]
        static func == (a: Counts, b: Counts) -> Bool {
            a.total == b.total && a.users == b.users && a.rows.count == b.rows.count
                && a.rows.allSatisfy { b.rows[$0.key]?.parent == $0.value.parent && b.rows[$0.key]?.count == $0.value.count }
        }
    }

    /// Serialises merges of this process, so each delta is taken against the last one written.
    let lock = NSLock()
    private var baseline = Counts()

    /// Reads the merged statistics as the engine's blob format; `nil` when nothing was stored.
    func load(pool: PostgresConnectionPool) throws -> Data? {
        let counts = try pool.read { connection -> Counts? in
            let totals = try pool.run("SELECT total, users FROM model_totals WHERE singleton = 1", on: connection)
            guard let row = totals.first else { return nil }
            var counts = Counts()
            (counts.total, counts.users) = try row.decode((Int64, Int64).self)
            for row in try pool.run("SELECT key, parent, count FROM model_counts", on: connection) {
                let (key, parent, count) = try row.decode((Int64, Int64, Int64).self)
                counts.rows[UInt64(bitPattern: key)] = (UInt64(bitPattern: parent), count)
            }
            return counts
        }
        guard let counts else { return nil }
        lock.withLock { baseline = counts }
        return Self.encode(counts)
    }

    /// Adds the difference between `blob` and the baseline inside the caller's transaction;
    /// returns the counts to make the baseline once that transaction commits. The caller holds ``lock``.
    func merge(_ blob: Data, pool: PostgresConnectionPool, connection: PostgresConnection) throws -> Counts {
        guard let counts = Self.decode(blob) else {
            throw StoreError(code: .encoding, message: "the model statistics blob is not in the RGGS format", path: pool.location.redacted)
        }
        var keys: [Int64] = [], parents: [Int64] = [], deltas: [Int64] = []
        for (key, row) in counts.rows {
            let delta = row.count - (baseline.rows[key]?.count ?? 0)
            guard delta > 0 else { continue }
            keys.append(Int64(bitPattern: key)); parents.append(Int64(bitPattern: row.parent)); deltas.append(delta)
        }
        if !keys.isEmpty {
            try pool.run("""
                INSERT INTO model_counts (key, parent, count)
                SELECT * FROM unnest(\(keys)::bigint[], \(parents)::bigint[], \(deltas)::bigint[])
                ON CONFLICT (key) DO UPDATE SET count = model_counts.count + excluded.count
                """, on: connection)
        }
        let total = max(0, counts.total - baseline.total), users = max(0, counts.users - baseline.users)
        try pool.run("""
            INSERT INTO model_totals (singleton, total, users) VALUES (1, \(total), \(users))
            ON CONFLICT (singleton) DO UPDATE SET total = model_totals.total + excluded.total,
                                                  users = model_totals.users + excluded.users
            """, on: connection)
        return counts
    }

    /// Makes `counts` the baseline after its merge committed. The caller holds ``lock``.
    func committed(_ counts: Counts) { baseline = counts }

    /// Reads the `RGGS` layout (see ``GlobalLoginStats/encoded()``); `nil` when it is not one.
    static func decode(_ data: Data) -> Counts? {
        let bytes = [UInt8](data)
        guard bytes.count >= 32, Array(bytes[0..<4]) == Array("RGGS".utf8) else { return nil }
        var offset = 4
        func read(_ width: Int) -> UInt64 {
            var value: UInt64 = 0
            for i in (0..<width).reversed() { value = value << 8 | UInt64(bytes[offset + i]) }
            offset += width
            return value
        }
        guard read(4) == 1 else { return nil }
        let total = read(8), users = read(8), count = read(8)
        guard total <= UInt64(Int64.max), users <= UInt64(Int64.max), count <= UInt64(bytes.count),
              bytes.count - offset == Int(count) * 20 else { return nil }
        var counts = Counts(total: Int64(total), users: Int64(users))
        for _ in 0..<Int(count) {
            let key = read(8), parent = read(8), n = read(4)
            counts.rows[key] = (parent, Int64(n))
        }
        return counts
    }

    /// Writes `counts` in the `RGGS` layout, records sorted by key, counts capped at `UInt32.max`.
    static func encode(_ counts: Counts) -> Data {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32 + counts.rows.count * 20)
        func write(_ value: UInt64, _ width: Int) {
            for i in 0..<width { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(i)))) }
        }
        bytes += Array("RGGS".utf8)
        write(1, 4)
        write(UInt64(max(0, counts.total)), 8)
        write(UInt64(max(0, counts.users)), 8)
        let rows = counts.rows.filter { $0.value.count > 0 }.sorted { $0.key < $1.key }
        write(UInt64(rows.count), 8)
        for (key, row) in rows {
            write(key, 8)
            write(row.parent, 8)
            write(UInt64(min(row.count, Int64(UInt32.max))), 4)
        }
        return Data(bytes)
    }
}
