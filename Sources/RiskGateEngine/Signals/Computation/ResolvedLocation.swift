import RiskGatePolicy

/// Where a request came from, after request-supplied `geo` and the databases were combined.
///
/// The engine hands this to ``HistoryRecorder`` so an accepted login is remembered with the same
/// location its signals were computed from.
public struct ResolvedLocation: Sendable, Hashable {
    /// The parsed client address; nil when absent or invalid.
    public var ip: IPAddress?
    /// Upper-case ISO 3166-1 alpha-2 code.
    public var country: String?
    public var latitude: Double?
    public var longitude: Double?
    /// Kilometres.
    public var accuracyKm: Double?
    public var asn: Double?
    /// Nil when no anonymity source is configured or there is no valid IP.
    public var anonymous: Bool?
    /// Flags from the anonymous-IP database, when one is loaded.
    public var anonymousFlags: AnonymousFlags?

    public init(ip: IPAddress? = nil, country: String? = nil, latitude: Double? = nil, longitude: Double? = nil,
                accuracyKm: Double? = nil, asn: Double? = nil, anonymous: Bool? = nil, anonymousFlags: AnonymousFlags? = nil) {
        self.ip = ip; self.country = country; self.latitude = latitude; self.longitude = longitude
        self.accuracyKm = accuracyKm; self.asn = asn; self.anonymous = anonymous; self.anonymousFlags = anonymousFlags
    }

    /// The coordinates as a point, when both are present and valid.
    var point: GeoPoint? {
        guard let latitude, let longitude else { return nil }
        return GeoPoint(latitude: latitude, longitude: longitude, accuracyKm: accuracyKm)
    }
}

/// A `signals` override in a request that could not be applied.
public struct SignalOverrideProblem: Error, Sendable, Hashable, CustomStringConvertible {
    /// The name as given in the request.
    public var name: String
    /// Lowercase, one line, user input in backticks.
    public var message: String

    public init(name: String, message: String) {
        self.name = name
        self.message = message
    }

    public var description: String { "`\(name)`: \(message)" }
}

/// What ``SignalComputer/compute(_:state:now:into:)`` learned besides the signal values.
public struct SignalComputation: Sendable, Hashable {
    /// The location the signals used; record it with an accepted login.
    public var location: ResolvedLocation
    /// Overrides from `request.signals` that were ignored, sorted by name.
    public var overrideProblems: [SignalOverrideProblem]
    /// The typing sample as scored, for learning it if the login is accepted; `nil` without a usable sample.
    package var typing: TypingDynamics.ScoredSample? = nil
    /// Whether the request comes from a context familiar to the account (a known or trusted
    /// device, or a network of its recent logins): failures and locks are counted per class
    /// (``Lockout/isFamiliar(deviceKnown:deviceTrusted:ipKnown:)``).
    public var familiar: Bool = false
    /// Failures from the request's network across accounts in the lockout window (`ip.network_failures`
    /// before any override); 0 without a tracker or an address.
    public var networkFailures: Int = 0
}
