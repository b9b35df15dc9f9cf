import RiskGatePolicy

/// An open-addressing hash map from the model's 64-bit keys to values.
///
/// The keys are already well-mixed hashes (``FeatureHash``), so the table indexes by the key's
/// bits directly instead of re-hashing with SipHash the way `Dictionary` must: a lookup is a
/// multiply, a mask and usually one probe. Key 0 marks an empty slot (keys are never 0).
/// Removal is by rebuilding (``filter(_:)``), which only pruning needs.
///
/// A key and its value share a slot, so a lookup in a table far larger than the caches costs one
/// cache miss, not one for the key and another for the value.
struct KeyTable<Value> {
    private typealias Slot = KeyTableSlot<Value>
    private var slots: [Slot]
    private(set) var count = 0

    init(minimumCapacity: Int = 16) {
        var capacity = 16
        while capacity * 7 / 10 < minimumCapacity { capacity <<= 1 }
        slots = [Slot](repeating: Slot(key: 0, value: nil), count: capacity)
    }

    @inline(__always)
    private func slot(_ key: UInt64) -> Int {
        // Fibonacci hashing spreads any residual pattern across the high bits we use.
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> UInt64(64 - slots.count.trailingZeroBitCount))
    }

    subscript(key: UInt64) -> Value? {
        get {
            let mask = slots.count - 1
            var i = slot(key)
            while true {
                let k = slots[i].key
                if k == key { return slots[i].value }
                if k == 0 { return nil }
                i = (i + 1) & mask
            }
        }
        set {
            precondition(key != 0, "key 0 is reserved")
            guard let newValue else {
                // Removal is rare (pruning only): rebuild without the key.
                guard self[key] != nil else { return }
                self = filter { k, _ in k != key }
                return
            }
            slots[claimSlot(key).index].value = newValue
        }
    }

    /// The slot of `key`, which is added (growing the table first when it is ~70 % full) when
    /// absent; `added` tells which.
    @inline(__always)
    private mutating func claimSlot(_ key: UInt64) -> (index: Int, added: Bool) {
        if (count + 1) * 10 > slots.count * 7 { grow() }
        let mask = slots.count - 1
        var i = slot(key)
        while slots[i].key != 0 && slots[i].key != key { i = (i + 1) & mask }
        guard slots[i].key == 0 else { return (i, false) }
        slots[i].key = key
        count += 1
        return (i, true)
    }

    /// Updates the value of `key` in place, or inserts `make()` when the key is absent, in one
    /// probe sequence (a read and a write through the subscript probe twice); true when inserted.
    @inline(__always)
    mutating func upsert(_ key: UInt64, make: () -> Value, update: (inout Value) -> Void) -> Bool {
        precondition(key != 0, "key 0 is reserved")
        let (i, added) = claimSlot(key)
        if added {
            slots[i].value = make()
        } else {
            update(&slots[i].value!)
        }
        return added
    }

    /// Updates the value of `key` in place when the key is present.
    @inline(__always)
    mutating func modify(_ key: UInt64, _ update: (inout Value) -> Void) {
        let mask = slots.count - 1
        var i = slot(key)
        while true {
            let k = slots[i].key
            if k == key {
                update(&slots[i].value!)
                return
            }
            if k == 0 { return }
            i = (i + 1) & mask
        }
    }

    private mutating func grow() { rebuild(minimumCapacity: slots.count) }

    /// Moves every entry into a new table with room for `minimumCapacity` entries.
    private mutating func rebuild(minimumCapacity: Int) {
        var bigger = KeyTable(minimumCapacity: minimumCapacity)
        for (key, value) in self { bigger[key] = value }
        self = bigger
    }

    /// The entries for which `keep` holds, in a new table.
    func filter(_ keep: (UInt64, Value) -> Bool) -> KeyTable {
        var result = KeyTable(minimumCapacity: count)
        for (key, value) in self where keep(key, value) { result[key] = value }
        return result
    }

    mutating func reserveCapacity(_ n: Int) {
        guard n * 10 > slots.count * 7 else { return }
        rebuild(minimumCapacity: n)
    }

    /// Rewrites every value in place.
    mutating func updateValues(_ body: (UInt64, inout Value) -> Void) {
        for i in slots.indices where slots[i].key != 0 {
            if var v = slots[i].value {
                body(slots[i].key, &v)
                slots[i].value = v
            }
        }
    }
}

extension KeyTable: Sequence {
    struct Iterator: IteratorProtocol {
        let table: KeyTable
        var index = 0
        mutating func next() -> (key: UInt64, value: Value)? {
            while index < table.slots.count {
                defer { index += 1 }
                let slot = table.slots[index]
                if slot.key != 0, let value = slot.value { return (slot.key, value) }
            }
            return nil
        }
    }
    func makeIterator() -> Iterator { Iterator(table: self) }
}

extension KeyTable: Sendable where Value: Sendable {}

/// One slot of a ``KeyTable``: a key and its value; key 0 (value `nil`) is an empty slot.
private struct KeyTableSlot<Value> {
    var key: UInt64
    var value: Value?
}

extension KeyTableSlot: Sendable where Value: Sendable {}
