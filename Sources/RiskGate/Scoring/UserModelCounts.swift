/// Per-user feature counts for the statistical login-history model.
public struct UserModelCounts: Sendable, Hashable, Codable {
    /// Accepted logins learned.
    public var total: Int = 0
    /// Count per feature key (`feature` + separator + `value`).
    public var counts: [String: Int] = [:]
    public init() {}
}
