/// A runtime value of the expression language.
///
/// Quantities are held in canonical units: durations in seconds, speeds in km/h, distances in km.
/// ``unavailable`` stands for a signal that could not be computed for this request (no IP given,
/// no history yet, an MMDB miss); comparisons involving it are false and booleans read it as false.
public enum Value: Sendable, Hashable, CustomStringConvertible {
    case unavailable
    case bool(Bool)
    case number(Double)
    case duration(Double)
    case speed(Double)
    case distance(Double)
    case string(String)
    case ip(IPAddress)

    /// The static type of this value, or `nil` when unavailable.
    public var type: ValueType? {
        switch self {
        case .unavailable: nil
        case .bool: .bool
        case .number: .number
        case .duration: .duration
        case .speed: .speed
        case .distance: .distance
        case .string: .string
        case .ip: .ip
        }
    }

    /// Whether a value is present.
    @inline(__always)
    public var isAvailable: Bool {
        if case .unavailable = self { return false }
        return true
    }

    /// The boolean reading: `true` only for `.bool(true)`.
    @inline(__always)
    public var isTrue: Bool {
        if case .bool(true) = self { return true }
        return false
    }

    /// The numeric payload of a number or quantity, in canonical units.
    @inline(__always)
    public var magnitude: Double? {
        switch self {
        case .number(let v), .duration(let v), .speed(let v), .distance(let v): v
        default: nil
        }
    }

    public var description: String {
        switch self {
        case .unavailable: "unavailable"
        case .bool(let b): b ? "true" : "false"
        case .number(let v): Value.format(v)
        case .duration(let v): "\(Value.format(v))s"
        case .speed(let v): "\(Value.format(v)) km/h"
        case .distance(let v): "\(Value.format(v)) km"
        case .string(let s): "\"\(s)\""
        case .ip(let ip): ip.description
        }
    }

    /// A JSON-ready rendering: numbers stay numbers, quantities are numbers in canonical units.
    public var jsonValue: JSONValue {
        switch self {
        case .unavailable: .null
        case .bool(let b): .bool(b)
        case .number(let v), .duration(let v), .speed(let v), .distance(let v): .number(v)
        case .string(let s): .string(s)
        case .ip(let ip): .string(ip.description)
        }
    }

    package static func format(_ v: Double) -> String {
        if v.isFinite, v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return String(v)
    }
}
