import RiskGatePolicy
extension UserStateCodec {
    /// Why bytes could not be decoded.
    package enum DecodingError: Error, Hashable, CustomStringConvertible {
        /// The first byte names a format this build does not read.
        case unsupportedVersion(UInt8)
        /// The bytes end before the state does.
        case truncated(offset: Int)
        /// A part is malformed (`what` names it).
        case invalid(String, offset: Int)

        package var description: String {
            switch self {
            case .unsupportedVersion(let v): "user state format version `\(v)` is not supported (expected \(UserStateCodec.version))"
            case .truncated(let offset): "user state bytes end early at offset \(offset)"
            case .invalid(let what, let offset): "user state has an invalid \(what) at offset \(offset)"
            }
        }
    }
}
