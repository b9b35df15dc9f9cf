/// Reads values out of an MMDB buffer (data or metadata section), checking every offset.
///
/// The typed readers (``findKey(_:inMapAt:)``, ``string(at:)``, ``double(at:)``) walk map keys in
/// place and allocate nothing but the result, which is what keeps a geolocation lookup in the
/// sub-microsecond range. ``value(at:)`` builds a full ``MMDBValue`` for callers that want one.
struct MMDBDecoder {
    /// The whole file.
    let bytes: UnsafeRawBufferPointer
    /// Offset pointers are relative to: the data section start (or the metadata start).
    let base: Int
    /// One past the last byte a value may occupy.
    let limit: Int

    /// Deepest nesting of maps, arrays and pointers accepted; real databases use fewer than 10 levels.
    static let maxDepth = 64
    /// Most values one generic decode may produce; bounds pointer fan-out ("billion laughs") in hostile files.
    static let maxValues = 1 << 16

    enum Kind: Int {
        case pointer = 1, string, double, bytes, uint16, uint32, map, int32, uint64, uint128, array
        case container, endMarker, bool, float
    }

    /// A decoded control byte. For a pointer, `size` is the absolute target offset.
    struct Control {
        var kind: Kind
        var size: Int
        /// First byte after the control bytes (for a pointer: after the pointer).
        var payload: Int
    }

    @inline(__always)
    func byte(_ offset: Int) throws -> Int {
        guard offset >= 0, offset < limit else { throw MMDBError.corrupt("offset \(offset) is past the end of the section") }
        return Int(bytes[offset])
    }

    func control(at offset: Int) throws -> Control {
        let ctrl = try byte(offset)
        var next = offset + 1
        var raw = ctrl >> 5
        if raw == 1 {
            let sizeBits = (ctrl >> 3) & 3
            let high = ctrl & 7
            var pointer: Int
            switch sizeBits {
            case 0: pointer = high << 8 | (try byte(next))
            case 1: pointer = (high << 16 | (try byte(next)) << 8 | (try byte(next + 1))) + 2048
            case 2: pointer = (high << 24 | (try byte(next)) << 16 | (try byte(next + 1)) << 8 | (try byte(next + 2))) + 526_336
            default:
                pointer = (try byte(next)) << 24 | (try byte(next + 1)) << 16 | (try byte(next + 2)) << 8 | (try byte(next + 3))
            }
            next += sizeBits + 1
            let target = base + pointer
            guard target < limit else { throw MMDBError.corrupt("pointer at offset \(offset) points past the end of the section") }
            return Control(kind: .pointer, size: target, payload: next)
        }
        if raw == 0 {
            raw = 7 + (try byte(next))
            next += 1
            guard raw >= 8 else { throw MMDBError.corrupt("invalid extended type \(raw) at offset \(offset)") }
        }
        guard let kind = Kind(rawValue: raw) else { throw MMDBError.corrupt("unknown data type \(raw) at offset \(offset)") }
        var size = ctrl & 0x1F
        if size >= 29 {
            switch size {
            case 29: size = 29 + (try byte(next)); next += 1
            case 30: size = 285 + ((try byte(next)) << 8 | (try byte(next + 1))); next += 2
            default: size = 65_821 + ((try byte(next)) << 16 | (try byte(next + 1)) << 8 | (try byte(next + 2))); next += 3
            }
        }
        switch kind {
        case .double: guard size == 8 else { throw MMDBError.corrupt("double of size \(size) at offset \(offset)") }
        case .float: guard size == 4 else { throw MMDBError.corrupt("float of size \(size) at offset \(offset)") }
        case .uint16: guard size <= 2 else { throw MMDBError.corrupt("uint16 of size \(size) at offset \(offset)") }
        case .uint32, .int32: guard size <= 4 else { throw MMDBError.corrupt("32-bit integer of size \(size) at offset \(offset)") }
        case .uint64: guard size <= 8 else { throw MMDBError.corrupt("uint64 of size \(size) at offset \(offset)") }
        case .uint128: guard size <= 16 else { throw MMDBError.corrupt("uint128 of size \(size) at offset \(offset)") }
        case .bool: guard size <= 1 else { throw MMDBError.corrupt("boolean of value \(size) at offset \(offset)") }
        case .container, .endMarker:
            throw MMDBError.corrupt("unexpected \(kind == .container ? "data cache container" : "end marker") at offset \(offset)")
        default: break
        }
        // Payload bytes must lie inside the section (maps, arrays and booleans have none of their own).
        if kind != .map, kind != .array, kind != .bool {
            guard next + size <= limit else { throw MMDBError.corrupt("value at offset \(offset) runs past the end of the section") }
        }
        return Control(kind: kind, size: size, payload: next)
    }

    /// The control of the value at `offset`, following one pointer; `next` is where the following value starts.
    @inline(__always)
    func resolved(at offset: Int) throws -> (control: Control, next: Int) {
        let c = try control(at: offset)
        guard c.kind == .pointer else { return (c, c.payload + (c.kind == .map || c.kind == .array || c.kind == .bool ? 0 : c.size)) }
        let target = try control(at: c.size)
        guard target.kind != .pointer else { throw MMDBError.corrupt("pointer to a pointer at offset \(offset)") }
        return (target, c.payload)
    }

    /// Offset just past the value at `offset`, without building it (pointers are not followed).
    func skip(at offset: Int, depth: Int = 0) throws -> Int {
        guard depth < MMDBDecoder.maxDepth else { throw MMDBError.corrupt("data nested deeper than \(MMDBDecoder.maxDepth) levels") }
        let c = try control(at: offset)
        switch c.kind {
        case .pointer, .bool: return c.payload
        case .map:
            var next = c.payload
            for _ in 0..<c.size {
                next = try skip(at: next, depth: depth + 1)
                next = try skip(at: next, depth: depth + 1)
            }
            return next
        case .array:
            var next = c.payload
            for _ in 0..<c.size { next = try skip(at: next, depth: depth + 1) }
            return next
        default: return c.payload + c.size
        }
    }

    /// Offset of the value stored under `key` in the map at `offset` (which may be reached via a pointer); nil when absent or not a map.
    func findKey(_ key: StaticString, inMapAt offset: Int) throws -> Int? {
        let map = try resolved(at: offset).control
        guard map.kind == .map else { return nil }
        let keyStart = key.utf8Start
        let keyCount = key.utf8CodeUnitCount
        var next = map.payload
        for _ in 0..<map.size {
            let (k, afterKey) = try resolved(at: next)
            guard k.kind == .string else { throw MMDBError.corrupt("map key at offset \(next) is not a string") }
            if k.size == keyCount {
                var equal = true
                for i in 0..<keyCount where bytes[k.payload + i] != keyStart[i] {
                    equal = false
                    break
                }
                if equal { return afterKey }
            }
            next = try skip(at: afterKey)
        }
        return nil
    }

    /// Offset of the value at a path of keys, e.g. `location` then `latitude`.
    func find(_ first: StaticString, _ second: StaticString, from offset: Int) throws -> Int? {
        guard let inner = try findKey(first, inMapAt: offset) else { return nil }
        return try findKey(second, inMapAt: inner)
    }

    @inline(__always)
    func unsigned(_ c: Control) -> UInt64 {
        var v: UInt64 = 0
        for i in 0..<min(c.size, 8) { v = v << 8 | UInt64(bytes[c.payload + c.size - min(c.size, 8) + i]) }
        return v
    }

    /// The string at `offset`; nil when the value there is not a string.
    func string(at offset: Int) throws -> String? {
        let c = try resolved(at: offset).control
        guard c.kind == .string else { return nil }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[c.payload..<(c.payload + c.size)]), as: UTF8.self)
    }

    /// Any numeric value at `offset` as a `Double`; nil for other kinds.
    func double(at offset: Int) throws -> Double? {
        let c = try resolved(at: offset).control
        switch c.kind {
        case .double: return Double(bitPattern: unsigned(c))
        case .float: return Double(Float(bitPattern: UInt32(truncatingIfNeeded: unsigned(c))))
        case .uint16, .uint32, .uint64: return Double(unsigned(c))
        case .int32: return Double(Int32(bitPattern: UInt32(truncatingIfNeeded: unsigned(c))))
        case .uint128: return c.size <= 8 ? Double(unsigned(c)) : nil
        default: return nil
        }
    }

    /// The boolean at `offset`; nil for other kinds.
    func bool(at offset: Int) throws -> Bool? {
        let c = try resolved(at: offset).control
        return c.kind == .bool ? c.size != 0 : nil
    }

    /// Builds the full value at `offset`.
    func value(at offset: Int) throws -> MMDBValue {
        var budget = MMDBDecoder.maxValues
        return try value(at: offset, depth: 0, budget: &budget).value
    }

    func value(at offset: Int, depth: Int, budget: inout Int) throws -> (value: MMDBValue, next: Int) {
        guard depth < MMDBDecoder.maxDepth else { throw MMDBError.corrupt("data nested deeper than \(MMDBDecoder.maxDepth) levels") }
        budget -= 1
        guard budget >= 0 else { throw MMDBError.corrupt("record expands to more than \(MMDBDecoder.maxValues) values") }
        let c = try control(at: offset)
        let end = c.payload + c.size
        switch c.kind {
        case .pointer:
            let target = try value(at: c.size, depth: depth + 1, budget: &budget)
            return (target.value, c.payload)
        case .string:
            return (.string(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[c.payload..<end]), as: UTF8.self)), end)
        case .double: return (.double(Double(bitPattern: unsigned(c))), end)
        case .float: return (.float(Float(bitPattern: UInt32(truncatingIfNeeded: unsigned(c)))), end)
        case .bytes: return (.bytes(Array(bytes[c.payload..<end])), end)
        case .uint16, .uint32, .uint64: return (.uint(unsigned(c)), end)
        case .int32: return (.int(Int32(bitPattern: UInt32(truncatingIfNeeded: unsigned(c)))), end)
        case .uint128:
            var high: UInt64 = 0, low: UInt64 = 0
            for i in 0..<c.size {
                high = high << 8 | low >> 56
                low = low << 8 | UInt64(bytes[c.payload + i])
            }
            return (.uint128(high: high, low: low), end)
        case .bool: return (.bool(c.size != 0), c.payload)
        case .map:
            var entries: [String: MMDBValue] = [:]
            var next = c.payload
            for _ in 0..<c.size {
                let key = try value(at: next, depth: depth + 1, budget: &budget)
                guard case .string(let name) = key.value else { throw MMDBError.corrupt("map key at offset \(next) is not a string") }
                let item = try value(at: key.next, depth: depth + 1, budget: &budget)
                entries[name] = item.value
                next = item.next
            }
            return (.map(entries), next)
        case .array:
            var items: [MMDBValue] = []
            var next = c.payload
            for _ in 0..<c.size {
                let item = try value(at: next, depth: depth + 1, budget: &budget)
                items.append(item.value)
                next = item.next
            }
            return (.array(items), next)
        case .container, .endMarker:
            throw MMDBError.corrupt("unexpected marker at offset \(offset)")
        }
    }
}
