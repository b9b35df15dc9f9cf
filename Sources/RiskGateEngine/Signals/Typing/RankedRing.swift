/// A ring of at most ``TypingTemplate/capacity`` fixed-width rows of numbers that also keeps, for
/// every column, the rows in ascending order of that column's value, so a column's median is one
/// read and its median absolute deviation a binary search.
///
/// Why: a typing template needs the per-feature median and MAD of its ring whenever it scores a
/// sample after learning one. Recomputing them by selection was the largest single cost of a
/// replay (~17 % of the CPU); keeping the order up to date costs, per column, a shift past the
/// values the new one overtakes.
/// The statistics are the same values a sort of the column gives (order statistics are values of
/// the multiset, whatever algorithm finds them), so results are unchanged.
///
/// Layout: `values` holds the rows by slot, row-major (`values[slot * width + column]`); once the
/// ring is full a new row overwrites the oldest slot (`head`). `order` holds, column-major,
/// `order[column * stride + rank]` = the slot of the rank-th smallest value of that column, for
/// ranks below `rowCount`; `stride` (at least `rowCount`, at most the capacity) leaves each column
/// room to grow, so adding a row shifts part of each column instead of moving every column.
/// Slots fit a byte because the capacity is at most 64.
package struct RankedRing: Sendable {
    /// Most rows kept (at most 64, so a slot fits in a byte and a column's slots in a ``SlotSet``).
    package let capacity: Int
    /// Numbers per row.
    package let width: Int
    /// The rows, by slot, row-major.
    package private(set) var values: [Double] = []
    /// Per column, the slots in ascending order of that column's value (column-major, ``stride`` a
    /// column, of which the first ``rowCount`` are used).
    package private(set) var order: [UInt8] = []
    /// Room for ranks in each column of ``order``: at least ``rowCount``, at most ``capacity``.
    package private(set) var stride = 0
    /// Rows held.
    package private(set) var rowCount = 0
    /// Slot of the oldest row (0 until the ring is full).
    package private(set) var head = 0

    /// An empty ring of rows of `width` numbers.
    package init(width: Int, capacity: Int) {
        self.width = max(0, width)
        self.capacity = min(64, max(1, capacity))
    }

    /// A ring rebuilt from stored parts, `nil` when they are inconsistent: `values` must hold
    /// `rowCount` finite rows, `head` must be a slot (0 unless full), and `order` must hold `width`
    /// columns of the same size (the stride: from `rowCount` up to the capacity) whose first
    /// `rowCount` ranks list each slot once in ascending order of the column's values.
    ///
    /// With `ordersChecked` the caller vouches that `values` are finite and every column of `order`
    /// is such a permutation (the state codec checks both while reading), so only the shape is checked.
    package init?(width: Int, capacity: Int, values: [Double], order: [UInt8], rowCount: Int, head: Int,
                  ordersChecked: Bool = false) {
        self.init(width: width, capacity: capacity)
        let stride = self.width > 0 ? order.count / self.width : rowCount
        guard rowCount >= 0, rowCount <= self.capacity, values.count == rowCount * self.width,
              order.count == stride * self.width, stride >= rowCount, stride <= self.capacity,
              head >= 0, head < max(1, rowCount), rowCount == self.capacity || head == 0
        else { return nil }
        self.values = values
        self.order = order
        self.stride = stride
        self.rowCount = rowCount
        self.head = head
        guard ordersChecked || (values.allSatisfy(\.isFinite) && ordersAreValid()) else { return nil }
    }

    /// A ring holding `rows` (oldest first; each of `width` finite numbers), ordered by sorting.
    package init?(width: Int, capacity: Int, rows: [[Double]]) {
        self.init(width: width, capacity: capacity)
        guard rows.count <= self.capacity, rows.allSatisfy({ $0.count == self.width && $0.allSatisfy(\.isFinite) }) else { return nil }
        rowCount = rows.count
        stride = rows.count
        values.reserveCapacity(rows.count * self.width)
        for row in rows { values.append(contentsOf: row) }
        order = [UInt8](repeating: 0, count: rowCount * self.width)
        let n = rowCount
        for column in 0..<self.width {
            // A stable sort by value: equal values keep slot order (any order of equal values gives the same statistics).
            let sorted = (0..<n).sorted { values[$0 * self.width + column] < values[$1 * self.width + column] }
            for (rank, slot) in sorted.enumerated() { order[column * n + rank] = UInt8(slot) }
        }
    }

    /// Whether every column of `order` is a permutation of the slots in ascending order of value.
    private func ordersAreValid() -> Bool {
        let n = rowCount
        for column in 0..<width {
            var seen = SlotSet()
            var previous = -Double.infinity
            for rank in 0..<n {
                let slot = Int(order[column * stride + rank])
                guard slot < n, seen.insert(slot) else { return false }
                let value = values[slot * width + column]
                guard value >= previous else { return false }
                previous = value
            }
        }
        return true
    }

    /// The slot rows are read from oldest to newest: `slot(age:)` for age 0 is the oldest row.
    @inline(__always)
    package func slot(age: Int) -> Int {
        let s = head + age
        return s >= rowCount ? s - rowCount : s
    }

    /// The rows, oldest first (allocates; for tests, the JSON form and the codec's first version).
    package var rows: [[Double]] {
        (0..<rowCount).map { age in
            let start = slot(age: age) * width
            return Array(values[start..<(start + width)])
        }
    }

    /// The `rank`-th smallest value of `column`.
    @inline(__always)
    package func sorted(_ rank: Int, column: Int) -> Double {
        values[Int(order[column * stride + rank]) * width + column]
    }

    /// Appends a row of `width` numbers, dropping the oldest when full.
    /// - Complexity: O(width · log n) comparisons plus a shift of at most n bytes a column.
    package mutating func append(_ row: UnsafeBufferPointer<Double>) {
        precondition(row.count == width, "row width")
        if rowCount < capacity {
            grow(with: row)
        } else {
            replaceOldest(with: row)
        }
    }

    /// Adds a row in a new slot (the ring is not full): every column gets one more rank, the
    /// ranks above the new value's moving up by one within the column's room.
    private mutating func grow(with row: UnsafeBufferPointer<Double>) {
        let n = rowCount
        if n == stride { widen(to: min(capacity, (n + 8) & ~7)) }
        let slot = UInt8(n)
        let width = self.width, stride = self.stride
        values.append(contentsOf: row)
        values.withUnsafeBufferPointer { v in
            order.withUnsafeMutableBufferPointer { order in
                for column in 0..<width {
                    let base = column * stride
                    let x = row[column]
                    // Insertion from the top: the larger values move up one rank, and the new one
                    // goes above every value <= x (equal values keep arrival order). This compares
                    // only the values that move, where counting the values <= x compared them all.
                    var r = n
                    while r > 0 {
                        let below = order[base + r - 1]
                        guard v[Int(below) &* width &+ column] > x else { break }
                        order[base + r] = below
                        r -= 1
                    }
                    order[base + r] = slot
                }
            }
        }
        rowCount = n + 1
    }

    /// Gives every column of ``order`` room for `newStride` ranks (more than now), in place: the
    /// array grows and the columns move up from the last one down (each moves to a higher offset,
    /// so copying backwards never overwrites unread ranks).
    private mutating func widen(to newStride: Int) {
        let old = stride, n = rowCount, width = self.width
        order.append(contentsOf: repeatElement(0, count: (newStride - old) * width))
        order.withUnsafeMutableBufferPointer { order in
            var column = width - 1
            while column > 0 {
                let from = column * old, to = column * newStride
                var r = n - 1
                while r >= 0 { order[to + r] = order[from + r]; r -= 1 }
                column -= 1
            }
        }
        stride = newStride
    }

    /// Overwrites the oldest slot with `row` and moves that slot to its new rank in every column.
    ///
    /// The slot moves from its old rank towards the new value's, one neighbour at a time, so only
    /// the values it passes are compared: down past the values above `x`, or else up past the
    /// values at most `x`. Either way it ends after every other value <= x (equal values keep
    /// arrival order), where counting those values compared every value of the column.
    private mutating func replaceOldest(with row: UnsafeBufferPointer<Double>) {
        let n = rowCount
        let slot = head
        head = head + 1 == n ? 0 : head + 1
        let width = self.width, stride = self.stride
        values.withUnsafeMutableBufferPointer { v in
            order.withUnsafeMutableBufferPointer { order in
                // Ranks read through the columns view see the moves made through `order`.
                let columns = SortedColumns(values: UnsafeBufferPointer(v), order: UnsafeBufferPointer(order),
                                            width: width, rowCount: n, stride: stride)
                for column in 0..<width {
                    let base = column &* stride
                    let x = row[column]
                    // Where the old value sits.
                    var at = 0
                    while at < n &- 1 && Int(order[base &+ at]) != slot { at &+= 1 }
                    if at > 0 && columns.sorted(at &- 1, column) > x {
                        repeat {
                            order[base &+ at] = order[base &+ at &- 1]
                            at &-= 1
                        } while at > 0 && columns.sorted(at &- 1, column) > x
                    } else {
                        while at &+ 1 < n && columns.sorted(at &+ 1, column) <= x {
                            order[base &+ at] = order[base &+ at &+ 1]
                            at &+= 1
                        }
                    }
                    order[base &+ at] = UInt8(slot)
                    v[slot &* width &+ column] = x
                }
            }
        }
    }

    /// The median of `column`: the middle value, or the mean of the two middle ones; 0 when empty.
    package func median(column: Int) -> Double {
        withColumns { $0.median(column) }
    }

    /// The median of `|value − centre|` over `column`, where `centre` is that column's median
    /// (``median(column:)``); the same value computing every deviation and taking their median gives.
    /// - Complexity: O(log n).
    package func medianAbsoluteDeviation(column: Int, centre: Double) -> Double {
        withColumns { $0.medianAbsoluteDeviation(column, centre: centre) }
    }

    /// Calls `body` with read access to the sorted columns, for many statistics at once.
    package func withColumns<R>(_ body: (SortedColumns) -> R) -> R {
        values.withUnsafeBufferPointer { v in
            order.withUnsafeBufferPointer { o in
                body(SortedColumns(values: v, order: o, width: width, rowCount: rowCount, stride: stride))
            }
        }
    }
}

/// Read access to a ``RankedRing``'s columns in sorted order, valid inside ``RankedRing/withColumns(_:)``.
package struct SortedColumns {
    let values: UnsafeBufferPointer<Double>
    let order: UnsafeBufferPointer<UInt8>
    let width: Int
    let rowCount: Int
    /// Room for ranks in each column of `order` (``RankedRing/stride``).
    let stride: Int

    /// The slots of `column` in ascending order of value (`rowCount` of them).
    @inline(__always)
    package func slots(_ column: Int) -> UnsafePointer<UInt8> { order.baseAddress! + column * stride }

    /// The `rank`-th smallest value of `column`.
    @inline(__always)
    package func sorted(_ rank: Int, _ column: Int) -> Double {
        values[Int(order[column &* stride &+ rank]) &* width &+ column]
    }

    /// The median of `column`: the middle value, or the mean of the two middle ones; 0 when empty.
    @inline(__always)
    package func median(_ column: Int) -> Double {
        let n = rowCount
        guard n > 0 else { return 0 }
        let upper = sorted(n / 2, column)
        guard n % 2 == 0 else { return upper }
        return (sorted(n / 2 - 1, column) + upper) / 2
    }

    /// The median absolute deviation of `column` around its median `m`.
    ///
    /// The deviations of the values below the middle, read outwards, and of those from the middle
    /// up are two ascending sequences (rounding is monotone), so the median is found by the
    /// classic binary search for the k-th smallest of two sorted sequences.
    /// - Complexity: O(log n).
    package func medianAbsoluteDeviation(_ column: Int, centre m: Double) -> Double {
        let n = rowCount
        guard n > 0 else { return 0 }
        let mid = n / 2
        // Every value at a rank below `mid` is <= m <= every value from `mid` up (true for both
        // parities: the mean of two values lies between them).
        let a = mid, b = n - mid
        @inline(__always) func left(_ t: Int) -> Double { abs(sorted(mid - 1 - t, column) - m) }
        @inline(__always) func right(_ t: Int) -> Double { abs(sorted(mid + t, column) - m) }
        let take = n / 2 + 1  // the upper middle deviation is the largest of the `take` smallest
        var lo = max(0, take - b), hi = min(a, take)
        // Smallest i (taken from the left) with left(i) >= right(take - i - 1).
        while lo < hi {
            let i = (lo + hi) >> 1
            if left(i) < right(take - i - 1) { lo = i + 1 } else { hi = i }
        }
        let i = lo, j = take - lo
        let lastLeft = i > 0 ? left(i - 1) : -Double.infinity
        let lastRight = j > 0 ? right(j - 1) : -Double.infinity
        let upper = max(lastLeft, lastRight)
        guard n % 2 == 0 else { return upper }
        // The next largest of those taken: the other sequence's last, or the same sequence's second last.
        let lower: Double
        if lastLeft >= lastRight {
            lower = max(i > 1 ? left(i - 2) : -Double.infinity, lastRight)
        } else {
            lower = max(lastLeft, j > 1 ? right(j - 2) : -Double.infinity)
        }
        return (lower + upper) / 2
    }
}

/// A set of ring slots (at most 64), for checking that a column lists every slot once.
package struct SlotSet {
    private var bits: UInt64 = 0

    package init() {}

    /// Adds `slot` (0..<64); false when it was already there or is out of range.
    @inline(__always)
    package mutating func insert(_ slot: Int) -> Bool {
        guard slot >= 0, slot < 64 else { return false }
        let bit = UInt64(1) << UInt64(slot)
        guard bits & bit == 0 else { return false }
        bits |= bit
        return true
    }
}

extension RankedRing: Equatable {
    /// Rings are equal when they hold the same rows in the same age order (however their slots are laid out).
    package static func == (lhs: RankedRing, rhs: RankedRing) -> Bool {
        guard lhs.width == rhs.width, lhs.rowCount == rhs.rowCount else { return false }
        for age in 0..<lhs.rowCount {
            let l = lhs.slot(age: age) * lhs.width, r = rhs.slot(age: age) * rhs.width
            for c in 0..<lhs.width where lhs.values[l + c] != rhs.values[r + c] { return false }
        }
        return true
    }
}

extension RankedRing: Hashable {
    package func hash(into hasher: inout Hasher) {
        hasher.combine(width)
        hasher.combine(rowCount)
        for age in 0..<rowCount {
            let start = slot(age: age) * width
            for c in 0..<width { hasher.combine(values[start + c]) }
        }
    }
}
