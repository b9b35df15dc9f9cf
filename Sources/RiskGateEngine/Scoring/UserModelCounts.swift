import Foundation

/// Per-user feature counts for the statistical login-history model, learned from accepted logins.
///
/// Bounded: each level keeps at most ``capacity`` distinct values (100 in all, about 3 KB);
/// a new value at a full level evicts the least-used one (fewest logins, then longest unused)
/// together with the finer values counted under it.
public struct UserModelCounts: Sendable, Hashable, Codable {
    /// Accepted logins learned.
    public private(set) var total: Int = 0
    /// The counted values, in insertion order.
    package private(set) var entries: [Entry] = []

    /// One counted value of one level.
    package struct Entry: Sendable, Hashable {
        /// The value's path key (see ``LoginFeatures``).
        package var key: UInt64
        /// The key of the value above it, or the chain root.
        package var parent: UInt64
        /// Logins with this value (saturating).
        package var count: UInt32
        /// The user's login number when last seen, for eviction.
        package var last: UInt32
        package var level: UInt8
    }

    /// Most distinct values kept per level (country, ASN, IP, device type, OS, browser, user agent).
    public static let capacity = [8, 16, 32, 4, 8, 16, 16]

    public init() {}

    /// Adds one accepted login.
    package mutating func record(_ features: LoginFeatures) {
        if total < Int.max { total += 1 }
        let stamp = UInt32(clamping: total)
        for level in 0..<ModelLevel.count {
            let key = features.keys[level]
            guard key != 0 else { continue }
            if let index = entries.firstIndex(where: { $0.key == key && Int($0.level) == level }) {
                entries[index].count = entries[index].count == .max ? .max : entries[index].count + 1
                entries[index].last = stamp
                continue
            }
            if entries.lazy.filter({ Int($0.level) == level }).count >= UserModelCounts.capacity[level] {
                evictLeastUsed(level: level)
            }
            entries.append(Entry(key: key, parent: features.parents[level], count: 1, last: stamp,
                                 level: UInt8(level)))
        }
    }

    private mutating func evictLeastUsed(level: Int) {
        var victim: Int? = nil
        for index in entries.indices where Int(entries[index].level) == level {
            guard let best = victim else { victim = index; continue }
            let e = entries[index], b = entries[best]
            if (e.count, e.last, e.key) < (b.count, b.last, b.key) { victim = index }
        }
        guard let victim else { return }
        // Remove the value and everything counted under it (at most three levels deep).
        var removed: Set<UInt64> = [entries[victim].key]
        var depth = level
        entries.remove(at: victim)
        while depth + 1 < ModelLevel.count, let next = ModelLevel(rawValue: depth + 1), !next.isChainRoot {
            depth += 1
            var children: Set<UInt64> = []
            entries.removeAll { entry in
                guard Int(entry.level) == depth, removed.contains(entry.parent) else { return false }
                children.insert(entry.key)
                return true
            }
            if children.isEmpty { break }
            removed = children
        }
    }

    /// Counts rebuilt from stored parts (the binary state codec), checked as the JSON decoding checks them.
    ///
    /// - Returns: `nil` when `total` is negative or an entry has a bad level, key or count, or a level
    ///   holds more values than its cap.
    package init?(total: Int, entries: [Entry]) {
        guard total >= 0 else { return nil }
        // Entries per level, a byte each (no level may exceed its capacity of at most 32): no
        // array to allocate on each decoded state.
        var perLevel: UInt64 = 0
        for entry in entries {
            let level = Int(entry.level)
            guard level < ModelLevel.count, entry.key != 0, entry.parent != 0, entry.count > 0 else { return nil }
            let shift = UInt64(8 * level)
            perLevel += 1 << shift
            guard Int((perLevel >> shift) & 0xff) <= UserModelCounts.capacity[level] else { return nil }
        }
        self.total = total
        self.entries = entries
    }

    // MARK: Codable: `{"total": N, "entries": "<base64 of 25-byte little-endian records>"}`

    private static let recordSize = 25

    enum CodingKeys: String, CodingKey { case total, entries }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let total = try c.decode(Int.self, forKey: .total)
        let text = try c.decode(String.self, forKey: .entries)
        let limit = UserModelCounts.capacity.reduce(0, +) * UserModelCounts.recordSize
        guard total >= 0 else {
            throw DecodingError.dataCorruptedError(forKey: .total, in: c, debugDescription: "model `total` is negative")
        }
        guard text.utf8.count <= (limit + 2) / 3 * 4 + 4, let data = Data(base64Encoded: text),
              data.count % UserModelCounts.recordSize == 0 else {
            throw DecodingError.dataCorruptedError(
                forKey: .entries, in: c, debugDescription: "model `entries` is not base64 of whole 25-byte records within the size cap")
        }
        let bytes = [UInt8](data)
        var perLevel = [Int](repeating: 0, count: ModelLevel.count)
        var entries: [Entry] = []
        entries.reserveCapacity(bytes.count / UserModelCounts.recordSize)
        var offset = 0
        func read(_ width: Int) -> UInt64 {
            var value: UInt64 = 0
            for i in (0..<width).reversed() { value = value << 8 | UInt64(bytes[offset + i]) }
            offset += width
            return value
        }
        while offset < bytes.count {
            let entry = Entry(key: read(8), parent: read(8), count: UInt32(truncatingIfNeeded: read(4)),
                              last: UInt32(truncatingIfNeeded: read(4)), level: UInt8(truncatingIfNeeded: read(1)))
            let level = Int(entry.level)
            guard level < ModelLevel.count, entry.key != 0, entry.parent != 0, entry.count > 0 else {
                throw DecodingError.dataCorruptedError(
                    forKey: .entries, in: c, debugDescription: "model entry \(entries.count) has a bad level, key or count")
            }
            perLevel[level] += 1
            guard perLevel[level] <= UserModelCounts.capacity[level] else {
                throw DecodingError.dataCorruptedError(
                    forKey: .entries, in: c, debugDescription: "model level \(ModelLevel(rawValue: level)?.name ?? "?") holds more values than its cap")
            }
            entries.append(entry)
        }
        self.total = total
        self.entries = entries
    }

    public func encode(to encoder: Encoder) throws {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(entries.count * UserModelCounts.recordSize)
        func write(_ value: UInt64, _ width: Int) {
            for i in 0..<width { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(i)))) }
        }
        for e in entries {
            write(e.key, 8); write(e.parent, 8); write(UInt64(e.count), 4); write(UInt64(e.last), 4)
            write(UInt64(e.level), 1)
        }
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(total, forKey: .total)
        try c.encode(Data(bytes).base64EncodedString(), forKey: .entries)
    }
}
