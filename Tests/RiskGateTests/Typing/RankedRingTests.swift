import Testing
@testable import RiskGateEngine

/// The ranked ring keeps each column sorted as rows come and go; its medians and deviations must be
/// exactly (bit for bit, as values) the ones a sort of the ring's current rows gives.
@Suite struct RankedRingTests {
    private func sortedMedian(_ values: [Double]) -> Double {
        let s = values.sorted()
        guard !s.isEmpty else { return 0 }
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    /// Values of one of several kinds, so ties, negatives, fractions and long runs all occur.
    private func value(_ kind: Int, _ g: inout SeededRandom) -> Double {
        switch kind {
        case 0: Double(Int.random(in: 0...3, using: &g))  // many ties
        case 1: Double(Int.random(in: -300...900, using: &g))  // whole milliseconds
        case 2: Double.random(in: -300...900, using: &g)  // fractions
        default: [0.1, 0.2, 0.30000000000000004, 1e-300, 5e-324, 1e15 + 0.5][Int.random(in: 0..<6, using: &g)]
        }
    }

    @Test("median and MAD equal the batch values after every append", arguments: [1, 2, 3, 7, 50])
    func statisticsMatchBatch(capacity: Int) {
        var g = SeededRandom(seed: UInt64(capacity) &* 977)
        for round in 0..<40 {
            let width = Int.random(in: 1...6, using: &g)
            let kind = round % 4
            var ring = RankedRing(width: width, capacity: capacity)
            var all: [[Double]] = []
            for _ in 0..<Int.random(in: 1...130, using: &g) {
                let row = (0..<width).map { _ in value(kind, &g) }
                all.append(row)
                row.withUnsafeBufferPointer { ring.append($0) }
                let window = Array(all.suffix(capacity))
                #expect(ring.rows == window)
                for column in 0..<width {
                    let values = window.map { $0[column] }
                    let m = sortedMedian(values)
                    let mad = sortedMedian(values.map { abs($0 - m) })
                    #expect(ring.median(column: column) == m)
                    #expect(ring.medianAbsoluteDeviation(column: column, centre: m) == mad, "\(values)")
                    // The selection-based batch computation the detector used before gives the same too.
                    var copy = values
                    #expect(NeighbourDistance.median(&copy) == m)
                    let sorted = (0..<values.count).map { ring.sorted($0, column: column) }
                    #expect(sorted == values.sorted())
                }
            }
        }
    }

    @Test("a ring rebuilt from its parts equals the original; inconsistent parts are refused")
    func rebuiltFromParts() throws {
        var g = SeededRandom(seed: 41)
        var ring = RankedRing(width: 3, capacity: 5)
        for _ in 0..<8 {
            let row = (0..<3).map { _ in Double(Int.random(in: 0...9, using: &g)) }
            row.withUnsafeBufferPointer { ring.append($0) }
        }
        let copy = try #require(RankedRing(width: 3, capacity: 5, values: ring.values, order: ring.order,
                                           rowCount: ring.rowCount, head: ring.head))
        #expect(copy == ring)
        #expect(copy.order == ring.order)
        var swapped = ring.order
        swapped.swapAt(0, 1)
        let outOfOrder = ring.sorted(0, column: 0) != ring.sorted(1, column: 0)
        if outOfOrder {
            #expect(RankedRing(width: 3, capacity: 5, values: ring.values, order: swapped, rowCount: 5, head: ring.head) == nil)
        }
        var repeated = ring.order
        repeated[1] = repeated[0]
        #expect(RankedRing(width: 3, capacity: 5, values: ring.values, order: repeated, rowCount: 5, head: ring.head) == nil)
        #expect(RankedRing(width: 3, capacity: 5, values: ring.values, order: ring.order, rowCount: 5, head: 5) == nil)
        #expect(RankedRing(width: 3, capacity: 5, values: ring.values, order: ring.order, rowCount: 4, head: 0) == nil)
        var bad = ring.values
        bad[0] = .nan
        #expect(RankedRing(width: 3, capacity: 5, values: bad, order: ring.order, rowCount: 5, head: ring.head) == nil)
    }

    @Test("a ring rebuilt from parts whose columns have room keeps growing like the original")
    func rebuiltWithRoomKeepsGrowing() throws {
        var g = SeededRandom(seed: 43)
        var ring = RankedRing(width: 4, capacity: 50)
        func row() -> [Double] { (0..<4).map { _ in Double(Int.random(in: 0...30, using: &g)) } }
        for _ in 0..<11 { row().withUnsafeBufferPointer { ring.append($0) } }
        // Columns get room in steps, so 11 rows leave 5 free ranks a column.
        #expect(ring.stride == 16)
        #expect(ring.order.count == 16 * 4)
        var copy = try #require(RankedRing(width: 4, capacity: 50, values: ring.values, order: ring.order,
                                           rowCount: ring.rowCount, head: ring.head))
        #expect(copy.stride == 16)
        // Past this stride and the next, into the full ring's overwrites.
        for _ in 0..<60 {
            let r = row()
            r.withUnsafeBufferPointer { ring.append($0); copy.append($0) }
            #expect(copy == ring)
            #expect(copy.stride == ring.stride)
            for column in 0..<4 {
                let sorted = (0..<copy.rowCount).map { copy.sorted($0, column: column) }
                #expect(sorted == copy.rows.map { $0[column] }.sorted())
            }
        }
        #expect(ring.stride == 50)
        // Columns of unequal size, or too large for the capacity, are refused.
        #expect(RankedRing(width: 4, capacity: 50, values: ring.values, order: ring.order.dropLast(1).map { $0 },
                           rowCount: ring.rowCount, head: ring.head) == nil)
        #expect(RankedRing(width: 4, capacity: 50, values: ring.values, order: ring.order + [0, 0, 0, 0],
                           rowCount: ring.rowCount, head: ring.head) == nil)
    }

    @Test("rings with the same rows in the same age order are equal however their slots lie")
    func equalityIgnoresSlots() throws {
        let rows: [[Double]] = [[1, 2], [3, 4], [5, 6]]
        var wrapped = RankedRing(width: 2, capacity: 3)
        for row in [[9.0, 9.0]] + rows { row.withUnsafeBufferPointer { wrapped.append($0) } }
        let fresh = try #require(RankedRing(width: 2, capacity: 3, rows: rows))
        #expect(wrapped.head == 1)
        #expect(fresh.head == 0)
        #expect(wrapped == fresh)
        #expect(wrapped.hashValue == fresh.hashValue)
        #expect(wrapped.rows == rows)
    }
}
