import Foundation
import RiskGatePolicy

// A typing template's rings (``RankedRing``: its samples and its genuine scores) are written
// column by column, each column's values in ascending order with the ring slot each came from.
// The statistics need every column sorted; storing that order means decoding rebuilds it without
// sorting and without a median, which is most of what a replay spends reading states.

extension UserStateCodec {
    /// Most rows of a ring whose slots are written two a byte (4-bit nibbles): the usual template
    /// has at most 16 rows, and packing its slots makes the states of a large replay ~9 % smaller.
    static let nibbleSlotRows = 16
}

extension UserStateWriter {
    /// A ring as its row count, its oldest slot, then column by column the values in ascending
    /// order (each as a difference from the one before when both are whole, mostly one byte) and
    /// the slot each came from (two a byte, low nibble first, for rings of at most
    /// ``UserStateCodec/nibbleSlotRows`` rows; else a byte each).
    mutating func ring(_ r: RankedRing) {
        count(r.rowCount)
        guard r.rowCount > 0 else { return }
        count(r.head)
        let n = r.rowCount
        r.withColumns { columns in
            for column in 0..<columns.width {
                // Room for the column at its largest (10 bytes a value, one a slot), then written
                // through a local pointer without a capacity check per byte.
                reserve(n * 11)
                var out = base + used
                // The previous value as an integer, while it is a whole number (the usual case).
                var previous: Int64 = 0
                var previousIsWhole = true
                for rank in 0..<n {
                    let value = columns.sorted(rank, column)
                    let whole = UserStateCodec.smallWhole(value)
                    if previousIsWhole, let v = whole, v != 0 || value.sign == .plus {
                        UserStateWriter.put(varint: UserStateCodec.zigzag(v - previous) << 1, at: &out)
                    } else {
                        out.pointee = 1
                        UnsafeMutableRawPointer(out + 1).storeBytes(of: value.bitPattern.littleEndian, as: UInt64.self)
                        out += 9
                    }
                    previous = whole ?? 0
                    previousIsWhole = whole != nil
                }
                let slots = columns.slots(column)
                if n <= UserStateCodec.nibbleSlotRows {
                    // Two slots a byte, the first in the low nibble; an odd last one has a zero high nibble.
                    var rank = 0
                    while rank + 1 < n {
                        out.pointee = slots[rank] | slots[rank + 1] << 4
                        out += 1
                        rank += 2
                    }
                    if rank < n {
                        out.pointee = slots[rank]
                        out += 1
                    }
                } else {
                    out.update(from: slots, count: n)
                    out += n
                }
                used = out - base
            }
        }
    }
}

extension UserStateReader {
    /// A ring written by `UserStateWriter.ring(_:)`: the values go straight to their slots. Checks each
    /// column's values ascending and finite and its slots a permutation while reading.
    mutating func ring(width: Int) throws(UserStateCodec.DecodingError) -> RankedRing {
        let start = offset
        // Each row takes at least a byte a column (its value; a packed slot takes half a byte).
        let rows = try count(minimumSize: width)
        guard rows <= TypingTemplate.capacity else { throw .invalid("typing ring size", offset: start) }
        guard rows > 0 else { return RankedRing(width: width, capacity: TypingTemplate.capacity) }
        let head = try count()
        let packed = rows <= UserStateCodec.nibbleSlotRows
        // Room for the row a learned login adds, so the ring grows without copying itself.
        let stride = min(rows + 1, TypingTemplate.capacity)
        var values: [Double] = []
        values.reserveCapacity(stride * width)
        values.append(contentsOf: repeatElement(0, count: rows * width))
        var order = [UInt8](repeating: 0, count: stride * width)
        try withUnsafeTemporaryAllocation(of: Double.self, capacity: rows) { (sorted) throws(UserStateCodec.DecodingError) in
            try values.withUnsafeMutableBufferPointer { (values) throws(UserStateCodec.DecodingError) in
                try order.withUnsafeMutableBufferPointer { (order) throws(UserStateCodec.DecodingError) in
                    for column in 0..<width {
                        if let used = Self.wholeColumn(raw, from: offset, rows: rows, into: sorted.baseAddress!) {
                            offset += used
                        } else {
                            var previous = 0.0
                            // `previous` as an integer while it is a whole number (the usual case).
                            var previousWhole: Int64? = 0
                            for rank in 0..<rows {
                                let at = offset
                                let value: Double
                                (value, previousWhole) = try sortedNumber(after: previousWhole)
                                guard value.isFinite, rank == 0 || value >= previous else { throw .invalid("typing ring value", offset: at) }
                                sorted[rank] = value
                                previous = value
                            }
                        }
                        let columnOrder = order.baseAddress! + column * stride
                        offset = try slots(rows: rows, packed: packed, into: columnOrder)
                        for rank in 0..<rows { values[Int(columnOrder[rank]) &* width &+ column] = sorted[rank] }
                    }
                }
            }
        }
        guard let ring = RankedRing(width: width, capacity: TypingTemplate.capacity, values: values, order: order,
                                    rowCount: rows, head: head, ordersChecked: true)
        else { throw .invalid("typing ring", offset: start) }
        return ring
    }

    /// Reads one column's slots (a byte each, or two a byte when `packed`) into `order`, checking
    /// that they are a permutation of the ring's rows (and that an odd last byte's unused nibble
    /// is zero); returns the offset after them.
    @inline(__always)
    func slots(rows: Int, packed: Bool, into order: UnsafeMutablePointer<UInt8>) throws(UserStateCodec.DecodingError) -> Int {
        let size = packed ? (rows + 1) / 2 : rows
        guard remaining >= size else { throw .truncated(offset: offset) }
        let bytes = raw.baseAddress!.assumingMemoryBound(to: UInt8.self) + offset
        var seen = SlotSet()
        for rank in 0..<rows {
            let slot = packed ? (rank & 1 == 0 ? bytes[rank >> 1] & 0x0f : bytes[rank >> 1] >> 4) : bytes[rank]
            guard Int(slot) < rows, seen.insert(Int(slot)) else {
                throw .invalid("typing ring slot", offset: offset + (packed ? rank >> 1 : rank))
            }
            order[rank] = slot
        }
        if packed && rows & 1 == 1 && bytes[rows >> 1] >> 4 != 0 {
            throw .invalid("typing ring slot", offset: offset + (rows >> 1))
        }
        return offset + size
    }

    /// Reads one ring column of `rows` values starting at byte `start` of `raw` into `sorted`
    /// when every value is a whole-number difference of one or two bytes (the usual column: whole
    /// milliseconds a few apart) and the values ascend; returns the bytes read. Returns `nil`,
    /// having read nothing, for any other column, which ``sortedNumber(after:)`` then reads (and
    /// checks) value by value.
    @inline(__always)
    static func wholeColumn(_ raw: UnsafeRawBufferPointer, from start: Int, rows: Int,
                            into sorted: UnsafeMutablePointer<Double>) -> Int? {
        // Each value takes at most two bytes here, so reading stops within `2 * rows` bytes.
        guard raw.count - start >= 2 * rows else { return nil }
        let bytes = raw.baseAddress! + start
        var at = 0
        var value: Int64 = 0
        for rank in 0..<rows {
            guard let (v, length) = shortVarint(at: bytes + at) else { return nil }
            at += length
            // Even: a whole difference (odd marks a raw value). Below 2^13 in size, so 50 of them
            // stay far inside the range the general path checks (below 2^53).
            guard v & 1 == 0 else { return nil }
            let difference = UserStateCodec.unzigzag(v >> 1)
            guard rank == 0 || difference >= 0 else { return nil }
            value += difference
            sorted[rank] = Double(value)
        }
        return at
    }

    /// A value written by `UserStateWriter.ring(_:)`: `zigzag << 1` of its difference from the previous
    /// value when both are whole numbers (`previous` is the previous value as an integer, `nil`
    /// when it is not whole), or `1` and the raw bits. Returns the value and, when it is whole,
    /// the value as an integer (the next call's `previous`).
    mutating func sortedNumber(after previous: Int64?) throws(UserStateCodec.DecodingError) -> (Double, Int64?) {
        let start = offset
        let v = try varint()
        if v == 1 {
            let value = try double()
            return (value, UserStateCodec.smallWhole(value))
        }
        guard v & 1 == 0, let p = previous else { throw .invalid("number", offset: start) }
        let (sum, overflow) = p.addingReportingOverflow(UserStateCodec.unzigzag(v >> 1))
        guard !overflow, sum.magnitude < 1 << 53 else { throw .invalid("number", offset: start) }
        return (Double(sum), sum)
    }
}
