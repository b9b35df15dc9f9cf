/// The static types of the policy expression language (docs/policy-language.md).
public enum ValueType: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    case bool
    case number
    /// Seconds.
    case duration
    /// Kilometres per hour.
    case speed
    /// Kilometres.
    case distance
    case string
    case ip
    /// A named list or list literal; only valid on the right of `in`.
    case list

    public var description: String { rawValue }

    /// Whether values of this type are numbers or quantities: what arithmetic and ordering apply to.
    package var isNumeric: Bool { self == .number || self == .duration || self == .speed || self == .distance }
}
