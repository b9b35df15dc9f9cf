/// An immutable set of IP addresses and networks, answering membership in a few nanoseconds
/// over sorted, merged ranges (one array per address family), without allocating.
///
/// Each family's ranges are indexed by up to 16 address bits (those after the bits every range
/// shares), so a lookup reads one table entry and binary-searches only the ranges that start in
/// the same bucket, usually none to three.
///
/// - Complexity: building is O(n log n); ``contains(_:)`` is O(1) table step plus a binary search
///   over one bucket (O(log n) at worst).
public struct IPSet: Sendable, Hashable {
    // Inclusive ranges, sorted, non-overlapping, non-adjacent. IPv4 packs `start << 32 | end`,
    // so one load gives both ends and the packed values sort by start.
    private var v4: [UInt64] = []
    private var v6: [V6Range] = []
    // Derived from the ranges above (not part of equality).
    private var v4Index = BucketIndex()
    private var v6Index = BucketIndex()

    /// An empty set.
    public init() {}

    /// A set of the given networks.
    public init(_ networks: [IPNetwork]) {
        var v4Pairs: [UInt64] = []
        var v6Pairs: [V6Range] = []
        for network in networks {
            let first = network.address.masked(to: network.prefixLength)
            if first.isV4 {
                let start = UInt32(truncatingIfNeeded: first.low)
                let hostBits = 32 - network.prefixLength
                let end = hostBits >= 32 ? UInt32.max : start | ((UInt32(1) << UInt32(hostBits)) &- 1)
                v4Pairs.append(UInt64(start) << 32 | UInt64(end))
            } else {
                let start = UInt128Value(high: first.high, low: first.low)
                v6Pairs.append(V6Range(start: start, end: start.lastAddress(prefixLength: network.prefixLength)))
            }
        }
        self.init(unmergedV4: v4Pairs, unmergedV6: v6Pairs)
    }

    private init(unmergedV4: [UInt64], unmergedV6: [V6Range]) {
        // Packed values sort by start, then by end; merging keeps the widest end.
        for pair in unmergedV4.sorted() {
            let s = UInt32(truncatingIfNeeded: pair >> 32), e = UInt32(truncatingIfNeeded: pair)
            if let lastPair = v4.last {
                let lastStart = lastPair >> 32, last = UInt32(truncatingIfNeeded: lastPair)
                if s <= last || (last != .max && s == last + 1) {
                    v4[v4.count - 1] = lastStart << 32 | UInt64(max(last, e))
                    continue
                }
            }
            v4.append(pair)
        }
        for range in unmergedV6.sorted(by: { $0.start < $1.start }) {
            if let last = v6.last?.end, range.start <= last || range.start == last.successor {
                v6[v6.count - 1].end = max(last, range.end)
            } else {
                v6.append(range)
            }
        }
        let v4Count = v4.count
        v4Index = v4.withUnsafeBufferPointer { ranges in
            BucketIndex(count: v4Count, width: 32,
                        first: (ranges.first ?? 0) & 0xFFFF_FFFF_0000_0000,
                        last: ranges.last.map { ($0 & 0xFFFF_FFFF) << 32 } ?? 0,
                        key: { ranges[$0] & 0xFFFF_FFFF_0000_0000 })
        }
        let v6Count = v6.count
        v6Index = v6.withUnsafeBufferPointer { ranges in
            BucketIndex(count: v6Count, width: 64,
                        first: ranges.first?.start.high ?? 0, last: ranges.last?.end.high ?? 0,
                        key: { ranges[$0].start.high })
        }
    }

    /// Number of merged ranges held (both families).
    public var rangeCount: Int { v4.count + v6.count }

    /// Whether the set holds no address.
    public var isEmpty: Bool { rangeCount == 0 }

    /// Whether `address` lies in one of the set's networks.
    @inlinable
    public func contains(_ address: IPAddress) -> Bool {
        if address.isV4 {
            return containsV4(UInt32(truncatingIfNeeded: address.low))
        }
        return containsV6(UInt128Value(high: address.high, low: address.low))
    }

    @usableFromInline
    func containsV4(_ value: UInt32) -> Bool {
        // Keys live in the top 32 bits so the index treats both families alike.
        guard let (lower, upper) = v4Index.bucket(of: UInt64(value) << 32) else { return false }
        return v4.withUnsafeBufferPointer { ranges in
            // Number of ranges starting at or before `value`; `| 0xFFFF_FFFF` makes any end compare lower.
            let probe = UInt64(value) << 32 | 0xFFFF_FFFF
            var lo = lower, hi = upper
            while lo < hi {
                let mid = (lo + hi) >> 1
                if ranges[mid] <= probe { lo = mid + 1 } else { hi = mid }
            }
            return lo > 0 && value <= UInt32(truncatingIfNeeded: ranges[lo - 1])
        }
    }

    @usableFromInline
    func containsV6(_ value: UInt128Value) -> Bool {
        guard let (lower, upper) = v6Index.bucket(of: value.high) else { return false }
        return v6.withUnsafeBufferPointer { ranges in
            var lo = lower, hi = upper
            while lo < hi {
                let mid = (lo + hi) >> 1
                if !(value < ranges[mid].start) { lo = mid + 1 } else { hi = mid }
            }
            return lo > 0 && !(ranges[lo - 1].end < value)
        }
    }

    /// The union of two sets.
    public func union(_ other: IPSet) -> IPSet {
        IPSet(unmergedV4: v4 + other.v4, unmergedV6: v6 + other.v6)
    }

    public static func == (lhs: IPSet, rhs: IPSet) -> Bool {
        lhs.v4 == rhs.v4 && lhs.v6 == rhs.v6
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(v4)
        hasher.combine(v6)
    }
}

/// One inclusive IPv6 range.
struct V6Range: Sendable, Hashable {
    var start: UInt128Value
    var end: UInt128Value
}

/// Maps the top 64 bits of an address to the slice of a sorted range array whose starts share
/// the same bucket: the `bits` bits after the `shared` leading bits common to every range.
///
/// `offsets[k]` is the number of ranges whose start falls in a bucket below `k`, so the last range
/// starting at or before an address in bucket `k` has an index in `offsets[k] - 1 ..< offsets[k + 1]`.
struct BucketIndex: Sendable {
    /// Lowest start and highest end (top 64 bits); addresses outside miss without a table read.
    private var first: UInt64 = 1
    private var last: UInt64 = 0
    private var shared: UInt64 = 0
    private var dropped: UInt64 = 64
    private var offsets: [UInt32] = []

    init() {}

    /// Indexes `count` sorted ranges; `key(i)` is range i's start in the top `width` bits of a UInt64.
    init(count: Int, width: Int, first: UInt64, last: UInt64, key: (Int) -> UInt64) {
        guard count > 0 else { return }
        self.first = first
        self.last = last
        // About two buckets per range, at most 2^16 buckets (256 KiB for the largest lists).
        let bits = min(16, max(1, (count * 2).bitWidth - (count * 2).leadingZeroBitCount))
        let common = min((first ^ last).leadingZeroBitCount, width - 1)
        let usable = min(bits, 64 - common)
        shared = UInt64(common)
        dropped = UInt64(64 - usable)
        var counts = [UInt32](repeating: 0, count: (1 << usable) + 1)
        for i in 0..<count { counts[bucketNumber(key(i)) + 1] += 1 }
        for k in 1..<counts.count { counts[k] += counts[k - 1] }
        offsets = counts
    }

    @inline(__always)
    private func bucketNumber(_ top: UInt64) -> Int {
        Int(truncatingIfNeeded: (top &<< shared) &>> dropped)
    }

    /// Index range to search for the last range starting at or before an address with these top bits,
    /// or `nil` when the address is below every start or above every end (compared on the top bits).
    @inline(__always)
    func bucket(of top: UInt64) -> (Int, Int)? {
        guard top >= first, top <= last else { return nil }
        let k = bucketNumber(top)
        return offsets.withUnsafeBufferPointer { table in
            (Int(table[k]), Int(table[k + 1]))
        }
    }
}

/// A 128-bit unsigned value ordered as a number (portable: no reliance on `UInt128` availability).
@usableFromInline
struct UInt128Value: Sendable, Hashable, Comparable {
    @usableFromInline let high: UInt64
    @usableFromInline let low: UInt64
    @usableFromInline init(high: UInt64, low: UInt64) { self.high = high; self.low = low }

    @usableFromInline static func < (a: UInt128Value, b: UInt128Value) -> Bool {
        a.high != b.high ? a.high < b.high : a.low < b.low
    }

    /// The value plus one, saturating at the maximum.
    var successor: UInt128Value {
        if low == .max { return high == .max ? self : UInt128Value(high: high + 1, low: 0) }
        return UInt128Value(high: high, low: low + 1)
    }

    /// The last address of the network starting here with the given prefix.
    func lastAddress(prefixLength: Int) -> UInt128Value {
        let hostBits = 128 - prefixLength
        if hostBits <= 0 { return self }
        if hostBits >= 128 { return UInt128Value(high: .max, low: .max) }
        if hostBits >= 64 {
            let highHost: UInt64 = hostBits == 64 ? 0 : (UInt64(1) << UInt64(hostBits - 64)) - 1
            return UInt128Value(high: high | highHost, low: .max)
        }
        return UInt128Value(high: high, low: low | ((UInt64(1) << UInt64(hostBits)) - 1))
    }
}

/// An address with a prefix length, e.g. `203.0.113.0/24`; a bare address is a /32 or /128.
public struct IPNetwork: Sendable, Hashable, CustomStringConvertible {
    public let address: IPAddress
    public let prefixLength: Int

    public init(address: IPAddress, prefixLength: Int) {
        self.address = address
        self.prefixLength = prefixLength
    }

    /// Parses `ADDRESS` or `ADDRESS/LENGTH`; `nil` when either part is invalid.
    ///
    /// `LENGTH` is one to three ASCII digits (leading zeros allowed) no larger than the address width.
    public init?<S: StringProtocol>(_ text: S) {
        let parsed = text.utf8.withContiguousStorageIfAvailable { IPNetwork.parse(utf8: $0) }
            ?? Array(text.utf8).withUnsafeBufferPointer { IPNetwork.parse(utf8: $0) }
        guard let parsed else { return nil }
        self = parsed
    }

    /// Parses a network from exactly the bytes given, with the rules of ``init(_:)``; no allocation.
    static func parse(utf8 bytes: UnsafeBufferPointer<UInt8>) -> IPNetwork? {
        var slash = -1
        for i in 0..<bytes.count where bytes[i] == UInt8(ascii: "/") {
            slash = i
            break
        }
        if slash < 0 {
            guard let address = IPAddress.parse(utf8: bytes) else { return nil }
            return IPNetwork(address: address, prefixLength: address.bitWidth)
        }
        guard let address = IPAddress.parse(utf8: UnsafeBufferPointer(rebasing: bytes[0..<slash])) else { return nil }
        let digits = bytes.count - slash - 1
        guard digits >= 1, digits <= 3 else { return nil }
        var length = 0
        for i in (slash + 1)..<bytes.count {
            let byte = bytes[i]
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            length = length * 10 + Int(byte - UInt8(ascii: "0"))
        }
        guard length <= address.bitWidth else { return nil }
        return IPNetwork(address: address, prefixLength: length)
    }

    public var description: String { "\(address)/\(prefixLength)" }
}
