import Foundation

/// Counts of every feature value over all users' accepted logins: the model's picture of
/// "logins in general", which stands in for what an attacker's login looks like.
///
/// One instance is shared by every request (a reference type, internally locked); scoring
/// takes the lock once for a handful of dictionary reads. Bounded: past ``maxValues`` distinct
/// values the rarest leaf values are pruned (see docs/scoring.md), deterministically for a
/// given history. Persist it with ``encoded()`` and ``init(decoding:)``.
public final class GlobalLoginStats: @unchecked Sendable {
    /// One counted value, plus the totals of the values counted under it.
    struct Node: Hashable {
        var parent: UInt64
        var count: UInt32
        var childSum: UInt32
        var childDistinct: UInt32
    }

    private let lock = NSLock()
    // All guarded by `lock`.
    private var table: KeyTable<Node>
    private var total = 0
    private var users = 0

    /// Most distinct values kept before pruning.
    public let maxValues: Int

    /// Empty statistics.
    public init(maxValues: Int = 4_000_000) {
        self.maxValues = max(maxValues, 64)
        table = GlobalLoginStats.rootTable()
    }

    private static func rootTable() -> KeyTable<Node> {
        var table = KeyTable<Node>()
        for chain in 0..<2 {
            table[FeatureHash.chainRoot(chain)] = Node(parent: 0, count: 0, childSum: 0, childDistinct: 0)
        }
        return table
    }

    private static let roots: Set<UInt64> = [FeatureHash.chainRoot(0), FeatureHash.chainRoot(1)]

    /// Accepted logins learned.
    public var totalLogins: Int { lock.withLock { total } }
    /// Users with at least one learned login.
    public var userCount: Int { lock.withLock { users } }
    /// Distinct feature values counted (all levels).
    public var distinctValues: Int { lock.withLock { table.count - GlobalLoginStats.roots.count } }

    // MARK: Learning and reading

    /// Adds one accepted login; `newUser` when it is the user's first.
    package func record(_ features: LoginFeatures, newUser: Bool) {
        lock.withLock {
            if total < Int.max { total += 1 }
            if newUser { users += 1 }
            // The table passed inout: one exclusivity check for the login, not one per probe.
            Self.record(features, into: &table)
            if table.count > maxValues + GlobalLoginStats.roots.count { prune() }
        }
    }

    /// Counts each level's value of `features` and its parent's totals in `table`.
    private static func record(_ features: LoginFeatures, into table: inout KeyTable<Node>) {
        for level in 0..<ModelLevel.count {
            let key = features.keys[level]
            guard key != 0 else { continue }
            let parent = features.parents[level]
            // In place: one probe sequence each for the value and its parent (the table is
            // large, so every probe is a likely cache miss).
            let isNew = table.upsert(key, make: { Node(parent: parent, count: 1, childSum: 0, childDistinct: 0) },
                                     update: { $0.count = Self.add($0.count, 1) })
            table.modify(parent) { node in
                node.childSum = Self.add(node.childSum, 1)
                if isNew { node.childDistinct = Self.add(node.childDistinct, 1) }
            }
        }
    }

    /// What scoring needs from the global counts, per level.
    package struct Counts: Sendable {
        /// Logins with this level's value.
        package var count = PerLevel<UInt32>(repeating: 0)
        /// Logins counted under the value's parent (its chain root for the top level).
        package var siblingSum = PerLevel<UInt32>(repeating: 0)
        /// Distinct values counted under the value's parent.
        package var siblingDistinct = PerLevel<UInt32>(repeating: 0)
        package var total = 0
        package var users = 0
    }

    /// Reads the counts for `features` under one lock.
    package func counts(for features: LoginFeatures) -> Counts {
        lock.lock()
        defer { lock.unlock() }
        // The table passed as an argument: one exclusivity check for the read, not one per probe.
        var result = Self.counts(for: features, in: table)
        result.total = total
        result.users = users
        return result
    }

    /// The per-level counts of `features` in `table` (without the totals).
    private static func counts(for features: LoginFeatures, in table: KeyTable<Node>) -> Counts {
        var result = Counts()
        var previousKey: UInt64 = 0
        var previous: Node? = nil
        for level in 0..<ModelLevel.count {
            let key = features.keys[level]
            guard key != 0 else { continue }
            let parentKey = features.parents[level]
            let parent = parentKey == previousKey ? previous : table[parentKey]
            let node = table[key]
            result.count[level] = node?.count ?? 0
            result.siblingSum[level] = parent?.childSum ?? 0
            result.siblingDistinct[level] = parent?.childDistinct ?? 0
            previousKey = key
            previous = node
        }
        return result
    }

    // MARK: Bounding

    /// Removes rare leaf values (count ≤ t, nothing under them, t doubling) until at most ¾ of
    /// ``maxValues`` remain. Candidates are chosen before any removal, so the result does not
    /// depend on dictionary order.
    private func prune() {
        var threshold: UInt32 = 1
        while table.count > maxValues * 3 / 4 + GlobalLoginStats.roots.count {
            let victims = table.filter { key, node in
                node.count <= threshold && node.childDistinct == 0 && !GlobalLoginStats.roots.contains(key)
            }
            table = table.filter { key, _ in victims[key] == nil }
            for (_, node) in victims {
                if var up = table[node.parent] {
                    up.childSum = up.childSum >= node.count ? up.childSum - node.count : 0
                    up.childDistinct = up.childDistinct > 0 ? up.childDistinct - 1 : 0
                    table[node.parent] = up
                }
            }
            threshold = threshold >= UInt32.max / 2 ? .max : threshold * 2
        }
    }

    private static func add(_ a: UInt32, _ b: UInt32) -> UInt32 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? .max : sum
    }

    /// Recomputes every node's totals from the nodes under it.
    private static func rebuildTotals(_ table: inout KeyTable<Node>) {
        var totals = KeyTable<(sum: UInt32, distinct: UInt32)>(minimumCapacity: table.count)
        for (_, node) in table where node.parent != 0 {
            let current = totals[node.parent] ?? (0, 0)
            totals[node.parent] = (add(current.sum, node.count), add(current.distinct, 1))
        }
        table.updateValues { key, node in
            let totalsHere = totals[key] ?? (0, 0)
            node.childSum = totalsHere.sum
            node.childDistinct = totalsHere.distinct
        }
    }

    // MARK: Snapshot and merge

    /// An independent copy, e.g. to score a what-if replay without disturbing the live counts.
    public func snapshot() -> GlobalLoginStats {
        let copy = GlobalLoginStats(maxValues: maxValues)
        lock.withLock {
            copy.table = table
            copy.total = total
            copy.users = users
        }
        return copy
    }

    /// Adds `other`'s counts to these, as if its logins had been learned here too.
    ///
    /// User counts add up, so the two must have counted disjoint sets of users (e.g. shards).
    public func merge(_ other: GlobalLoginStats) {
        let theirs = other.snapshot()
        lock.withLock {
            for (key, node) in theirs.table where node.parent != 0 {
                if var mine = table[key] {
                    mine.count = Self.add(mine.count, node.count)
                    table[key] = mine
                } else {
                    table[key] = Node(parent: node.parent, count: node.count, childSum: 0, childDistinct: 0)
                }
            }
            Self.rebuildTotals(&table)
            total = total.addingReportingOverflow(theirs.total).overflow ? .max : total + theirs.total
            users = users.addingReportingOverflow(theirs.users).overflow ? .max : users + theirs.users
            if table.count > maxValues + GlobalLoginStats.roots.count { prune() }
        }
    }

    // MARK: Persistence

    /// A problem with persisted statistics; the bytes are not used.
    public struct FormatError: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    private static let magic: [UInt8] = Array("RGGS".utf8)
    private static let version: UInt32 = 1
    private static let headerSize = 4 + 4 + 8 + 8 + 8
    private static let recordSize = 20
    private static let maxRecords = 64_000_000

    /// The counts in a compact, versioned binary form (deterministic: records sorted by key).
    ///
    /// Layout, little-endian: `RGGS`, version u32, total u64, users u64, record count u64, then per
    /// value key u64, parent key u64, count u32. Totals under each value are recomputed on load.
    public func encoded() -> Data {
        // Only the copy under the lock: every decision scores and learns under it, and sorting
        // the whole table there stalled them all for as long as the sort took.
        let (kept, total, users) = lock.withLock { (table.filter { $1.parent != 0 }, self.total, self.users) }
        let rows = kept.sorted { $0.key < $1.key }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(GlobalLoginStats.headerSize + rows.count * GlobalLoginStats.recordSize)
        func write(_ value: UInt64, _ width: Int) {
            for i in 0..<width { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(i)))) }
        }
        bytes += GlobalLoginStats.magic
        write(UInt64(GlobalLoginStats.version), 4)
        write(UInt64(total), 8)
        write(UInt64(users), 8)
        write(UInt64(rows.count), 8)
        for (key, node) in rows {
            write(key, 8)
            write(node.parent, 8)
            write(UInt64(node.count), 4)
        }
        return Data(bytes)
    }

    /// Loads statistics written by ``encoded()``.
    ///
    /// - Throws: ``FormatError`` naming the first problem (wrong magic or version, truncated,
    ///   a zero count, a duplicate key, a value whose parent is missing).
    public convenience init(decoding data: Data, maxValues: Int = 4_000_000) throws {
        self.init(maxValues: maxValues)
        let bytes = [UInt8](data)
        guard bytes.count >= GlobalLoginStats.headerSize, Array(bytes[0..<4]) == GlobalLoginStats.magic else {
            throw FormatError(description: "global login statistics: not an `RGGS` file (\(bytes.count) bytes)")
        }
        var offset = 4
        func read(_ width: Int) -> UInt64 {
            var value: UInt64 = 0
            for i in (0..<width).reversed() { value = value << 8 | UInt64(bytes[offset + i]) }
            offset += width
            return value
        }
        let version = read(4)
        guard version == UInt64(GlobalLoginStats.version) else {
            throw FormatError(description: "global login statistics: unsupported version \(version)")
        }
        let total = read(8), users = read(8), count = read(8)
        guard total <= UInt64(Int.max), users <= UInt64(Int.max), count <= UInt64(GlobalLoginStats.maxRecords),
              bytes.count - offset == Int(count) * GlobalLoginStats.recordSize else {
            throw FormatError(description: "global login statistics: header says \(count) records but the body holds \(bytes.count - offset) bytes")
        }
        var table = GlobalLoginStats.rootTable()
        table.reserveCapacity(Int(count) + 2)
        for index in 0..<Int(count) {
            let key = read(8), parent = read(8), n = UInt32(truncatingIfNeeded: read(4))
            guard key != 0, parent != 0, n > 0, table[key] == nil else {
                throw FormatError(description: "global login statistics: record \(index) has a zero key, parent or count, or repeats a key")
            }
            table[key] = Node(parent: parent, count: n, childSum: 0, childDistinct: 0)
        }
        if let orphan = table.first(where: { $0.value.parent != 0 && table[$0.value.parent] == nil }) {
            throw FormatError(description: "global login statistics: value \(String(orphan.key, radix: 16)) has no parent")
        }
        GlobalLoginStats.rebuildTotals(&table)
        self.table = table
        self.total = Int(total)
        self.users = Int(users)
        if table.count > self.maxValues + GlobalLoginStats.roots.count { prune() }
    }
}
