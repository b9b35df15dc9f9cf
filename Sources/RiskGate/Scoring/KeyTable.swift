/// An open-addressing hash map from the model's 64-bit keys to values.
///
/// The keys are already well-mixed hashes (``FeatureHash``), so the table indexes by the key's
/// bits directly instead of re-hashing with SipHash the way `Dictionary` must: a lookup is a
/// multiply, a mask and usually one probe. Key 0 marks an empty slot (keys are never 0).
/// Removal is by rebuilding (``filter(_:)``), which only pruning needs.
struct KeyTable<Value> {
    private var keys: [UInt64]
    private var values: [Value?]
    private(set) var count = 0

    init(minimumCapacity: Int = 16) {
        var capacity = 16
        while capacity * 7 / 10 < minimumCapacity { capacity <<= 1 }
        keys = [UInt64](repeating: 0, count: capacity)
        values = [Value?](repeating: nil, count: capacity)
    }

    @inline(__always)
    private func slot(_ key: UInt64) -> Int {
        // Fibonacci hashing spreads any residual pattern across the high bits we use.
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> UInt64(64 - keys.count.trailingZeroBitCount))
    }

    subscript(key: UInt64) -> Value? {
        get {
            let mask = keys.count - 1
            var i = slot(key)
            while true {
                let k = keys[i]
                if k == key { return values[i] }
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
            values[claimSlot(key).index] = newValue
        }
    }

    /// The slot of `key`, which is added (growing the table first when it is ~70 % full) when
    /// absent; `added` tells which.
    @inline(__always)
    private mutating func claimSlot(_ key: UInt64) -> (index: Int, added: Bool) {
        if (count + 1) * 10 > keys.count * 7 { grow() }
        let mask = keys.count - 1
        var i = slot(key)
        while keys[i] != 0 && keys[i] != key { i = (i + 1) & mask }
        guard keys[i] == 0 else { return (i, false) }
        keys[i] = key
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
            values[i] = make()
        } else {
            update(&values[i]!)
        }
        return added
    }

    /// Updates the value of `key` in place when the key is present.
    @inline(__always)
    mutating func modify(_ key: UInt64, _ update: (inout Value) -> Void) {
        let mask = keys.count - 1
        var i = slot(key)
        while true {
            let k = keys[i]
            if k == key {
                update(&values[i]!)
                return
            }
            if k == 0 { return }
            i = (i + 1) & mask
        }
    }

    private mutating func grow() {
        var bigger = KeyTable(minimumCapacity: keys.count)
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
        guard n * 10 > keys.count * 7 else { return }
        var bigger = KeyTable(minimumCapacity: n)
        for (key, value) in self { bigger[key] = value }
        self = bigger
    }

    /// Rewrites every value in place.
    mutating func updateValues(_ body: (UInt64, inout Value) -> Void) {
        for i in keys.indices where keys[i] != 0 {
            if var v = values[i] {
                body(keys[i], &v)
                values[i] = v
            }
        }
    }
}

extension KeyTable: Sequence {
    struct Iterator: IteratorProtocol {
        let table: KeyTable
        var index = 0
        mutating func next() -> (key: UInt64, value: Value)? {
            while index < table.keys.count {
                defer { index += 1 }
                if table.keys[index] != 0, let value = table.values[index] { return (table.keys[index], value) }
            }
            return nil
        }
    }
    func makeIterator() -> Iterator { Iterator(table: self) }
}

extension KeyTable: Sendable where Value: Sendable {}
