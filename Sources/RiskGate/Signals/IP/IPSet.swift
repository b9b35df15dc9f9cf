/// An immutable set of IP addresses and networks, answering membership in O(log n) per lookup
/// over sorted, merged ranges (one array per address family), without allocating.
///
/// - Complexity: building is O(n log n); ``contains(_:)`` does one binary search.
public struct IPSet: Sendable, Hashable {
    // Inclusive ranges, sorted, non-overlapping, non-adjacent.
    private var v4Starts: [UInt32] = []
    private var v4Ends: [UInt32] = []
    private var v6Starts: [UInt128Value] = []
    private var v6Ends: [UInt128Value] = []

    /// An empty set.
    public init() {}

    /// A set of the given networks.
    public init(_ networks: [IPNetwork]) {
        var v4: [(UInt32, UInt32)] = []
        var v6: [(UInt128Value, UInt128Value)] = []
        for network in networks {
            let first = network.address.masked(to: network.prefixLength)
            if first.isV4 {
                let start = UInt32(truncatingIfNeeded: first.low)
                let hostBits = 32 - network.prefixLength
                let end = hostBits >= 32 ? UInt32.max : start | ((UInt32(1) << UInt32(hostBits)) &- 1)
                v4.append((start, end))
            } else {
                let start = UInt128Value(high: first.high, low: first.low)
                v6.append((start, start.lastAddress(prefixLength: network.prefixLength)))
            }
        }
        v4.sort { $0.0 < $1.0 }
        v6.sort { $0.0 < $1.0 }
        for (s, e) in v4 {
            if let last = v4Ends.last, s <= last || (last != .max && s == last + 1) {
                v4Ends[v4Ends.count - 1] = max(last, e)
            } else {
                v4Starts.append(s)
                v4Ends.append(e)
            }
        }
        for (s, e) in v6 {
            if let last = v6Ends.last, s <= last || s == last.successor {
                v6Ends[v6Ends.count - 1] = max(last, e)
            } else {
                v6Starts.append(s)
                v6Ends.append(e)
            }
        }
    }

    /// Number of merged ranges held (both families).
    public var rangeCount: Int { v4Starts.count + v6Starts.count }

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
        v4Starts.withUnsafeBufferPointer { starts in
            // Last start <= value.
            var lo = 0, hi = starts.count
            while lo < hi {
                let mid = (lo + hi) >> 1
                if starts[mid] <= value { lo = mid + 1 } else { hi = mid }
            }
            return lo > 0 && value <= v4Ends[lo - 1]
        }
    }

    @usableFromInline
    func containsV6(_ value: UInt128Value) -> Bool {
        v6Starts.withUnsafeBufferPointer { starts in
            var lo = 0, hi = starts.count
            while lo < hi {
                let mid = (lo + hi) >> 1
                if starts[mid] <= value { lo = mid + 1 } else { hi = mid }
            }
            return lo > 0 && value <= v6Ends[lo - 1]
        }
    }

    /// The union of two sets.
    public func union(_ other: IPSet) -> IPSet {
        var result = IPSet()
        let v4 = zip(v4Starts + other.v4Starts, v4Ends + other.v4Ends).sorted { $0.0 < $1.0 }
        for (s, e) in v4 {
            if let last = result.v4Ends.last, s <= last || (last != .max && s == last + 1) {
                result.v4Ends[result.v4Ends.count - 1] = max(last, e)
            } else {
                result.v4Starts.append(s)
                result.v4Ends.append(e)
            }
        }
        let v6 = zip(v6Starts + other.v6Starts, v6Ends + other.v6Ends).sorted { $0.0 < $1.0 }
        for (s, e) in v6 {
            if let last = result.v6Ends.last, s <= last || s == last.successor {
                result.v6Ends[result.v6Ends.count - 1] = max(last, e)
            } else {
                result.v6Starts.append(s)
                result.v6Ends.append(e)
            }
        }
        return result
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
    public init?<S: StringProtocol>(_ text: S) {
        if let slash = text.firstIndex(of: "/") {
            guard let address = IPAddress(text[text.startIndex..<slash]) else { return nil }
            let lengthText = text[text.index(after: slash)...]
            guard !lengthText.isEmpty, lengthText.count <= 3, lengthText.allSatisfy({ $0.isASCII && $0.isNumber }),
                  let length = Int(lengthText), length <= address.bitWidth
            else { return nil }
            self.init(address: address, prefixLength: length)
        } else {
            guard let address = IPAddress(text) else { return nil }
            self.init(address: address, prefixLength: address.bitWidth)
        }
    }

    public var description: String { "\(address)/\(prefixLength)" }
}
