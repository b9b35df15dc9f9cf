import RiskGatePolicy

/// The reference data signals are computed against, loaded once and shared by every request.
public struct SignalEnvironment: Sendable {
    /// Geolocation, ASN and anonymous-IP databases; nil when none is configured (then only
    /// request-supplied `geo` gives `ip.country`, `ip.asn` and coordinates).
    public var geo: GeoDatabase?
    /// IP lists whose members count as anonymous for `ip.anonymous` (Tor exits, VPN ranges, ...).
    public var anonymousLists: [IPSet]

    public init(geo: GeoDatabase? = nil, anonymousLists: [IPSet] = []) {
        self.geo = geo
        self.anonymousLists = anonymousLists
    }

    /// Whether any source can say that an address is anonymous.
    var canJudgeAnonymity: Bool { geo?.anonymous != nil || !anonymousLists.isEmpty }
}
