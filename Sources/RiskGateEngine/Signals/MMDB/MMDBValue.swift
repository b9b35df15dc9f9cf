import CMaxMindDB

/// A decoded value from a MaxMind DB data section.
///
/// All unsigned widths up to 64 bits decode to ``uint(_:)``; 128-bit values keep both halves.
/// ``MMDBRecord/value(_:)`` gives scalars; maps and arrays appear only in a whole decoded record.
public indirect enum MMDBValue: Sendable, Hashable {
    case string(String)
    case double(Double)
    case bytes([UInt8])
    case uint(UInt64)
    case uint128(high: UInt64, low: UInt64)
    case int(Int32)
    case map([String: MMDBValue])
    case array([MMDBValue])
    case bool(Bool)
    case float(Float)

    /// The value under `key` when this is a map.
    public subscript(key: String) -> MMDBValue? {
        if case .map(let entries) = self { return entries[key] }
        return nil
    }

    /// The value at a path of map keys, e.g. `["country", "iso_code"]`.
    public subscript(path path: [String]) -> MMDBValue? {
        var current: MMDBValue? = self
        for key in path { current = current?[key] }
        return current
    }

    /// The text of a string value.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// Any numeric value as a `Double` (128-bit values only when they fit in 64 bits).
    public var doubleValue: Double? {
        switch self {
        case .double(let v): v
        case .float(let v): Double(v)
        case .uint(let v): Double(v)
        case .int(let v): Double(v)
        case .uint128(let high, let low): high == 0 ? Double(low) : nil
        default: nil
        }
    }

    /// Any integer value that fits in `UInt64`.
    public var uintValue: UInt64? {
        switch self {
        case .uint(let v): v
        case .int(let v): v >= 0 ? UInt64(v) : nil
        case .uint128(let high, let low): high == 0 ? low : nil
        default: nil
        }
    }

    /// The value of a boolean.
    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }
}

extension MMDBValue {
    /// A scalar from libmaxminddb's entry data; nil for a map or an array (read their fields by
    /// a longer path instead).
    init?(_ data: MMDB_entry_data_s) {
        switch Int32(data.type) {
        case MMDB_DATA_TYPE_UTF8_STRING:
            self = .string(String(decoding: UnsafeRawBufferPointer(start: data.utf8_string, count: Int(data.data_size)), as: UTF8.self))
        case MMDB_DATA_TYPE_DOUBLE: self = .double(data.double_value)
        case MMDB_DATA_TYPE_FLOAT: self = .float(data.float_value)
        case MMDB_DATA_TYPE_BYTES: self = .bytes(Array(UnsafeBufferPointer(start: data.bytes, count: Int(data.data_size))))
        case MMDB_DATA_TYPE_UINT16: self = .uint(UInt64(data.uint16))
        case MMDB_DATA_TYPE_UINT32: self = .uint(UInt64(data.uint32))
        case MMDB_DATA_TYPE_UINT64: self = .uint(data.uint64)
        case MMDB_DATA_TYPE_UINT128:
            var copy = data, high: UInt64 = 0, low: UInt64 = 0
            riskgate_mmdb_uint128(&copy, &high, &low)
            self = .uint128(high: high, low: low)
        case MMDB_DATA_TYPE_INT32: self = .int(data.int32)
        case MMDB_DATA_TYPE_BOOLEAN: self = .bool(data.boolean)
        default: return nil
        }
    }
}

extension MMDBRecord {
    /// Deepest nesting ``tree()`` decodes.
    static let maxTreeDepth = 64

    /// The whole record, every map and array decoded: for tests and tools that compare records
    /// with their source, on trusted files. libmaxminddb expands every pointer here, so a hostile
    /// record built to fan out would be expanded in full; lookups for signals never call this.
    ///
    /// - Throws: ``MMDBError`` when the record is damaged or nested deeper than 64 levels.
    package func tree() throws -> MMDBValue {
        var start = entry
        var list: UnsafeMutablePointer<MMDB_entry_data_list_s>?
        let status = MMDB_get_entry_data_list(&start, &list)
        defer { MMDB_free_entry_data_list(list) }
        guard status == MMDB_SUCCESS else { throw MMDBError(status: status, context: "record at offset \(entry.offset)") }
        var cursor = list
        return try Self.decode(&cursor, depth: 0)
    }

    private static func decode(_ cursor: inout UnsafeMutablePointer<MMDB_entry_data_list_s>?, depth: Int) throws -> MMDBValue {
        guard depth < maxTreeDepth else { throw MMDBError.corrupt("record nested deeper than \(maxTreeDepth) levels") }
        guard let node = cursor else { throw MMDBError.corrupt("record ends early") }
        let data = node.pointee.entry_data
        cursor = node.pointee.next
        switch Int32(data.type) {
        case MMDB_DATA_TYPE_MAP:
            var entries: [String: MMDBValue] = [:]
            for _ in 0..<data.data_size {
                guard case .string(let key) = try decode(&cursor, depth: depth + 1) else { throw MMDBError.corrupt("map key is not a string") }
                entries[key] = try decode(&cursor, depth: depth + 1)
            }
            return .map(entries)
        case MMDB_DATA_TYPE_ARRAY:
            var items: [MMDBValue] = []
            for _ in 0..<data.data_size { items.append(try decode(&cursor, depth: depth + 1)) }
            return .array(items)
        default:
            guard let value = MMDBValue(data) else { throw MMDBError.corrupt("unknown data type \(data.type)") }
            return value
        }
    }
}
