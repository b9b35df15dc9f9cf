/// A decoded value from a MaxMind DB data section.
///
/// All unsigned widths up to 64 bits decode to ``uint(_:)``; 128-bit values keep both halves.
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
