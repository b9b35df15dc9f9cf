/// What the login model looks at in one request: where it comes from and what client sent it.
///
/// Built once per request (parsing and hashing happen here), then scored and learned without
/// touching strings: every level's value is a 64-bit key that hashes its whole path.
///
/// A chain is used down to its deepest known level; a coarser level that is unknown there
/// (an IP without ASN data) takes a reserved "unknown" value, and finer levels that are unknown
/// are left out. A chain with nothing known is left out entirely.
public struct LoginFeatures: Sendable, Hashable {
    public let ip: IPAddress?
    public let asn: Double?
    /// Upper-cased country code.
    public let country: String?
    /// The parsed user agent, when one was given.
    public let userAgent: UserAgent?

    /// Per level, the value's key (0 when the level is left out).
    package let keys: [UInt64]
    /// Per level, the key of the value above it, or the chain root (0 when the level is left out).
    package let parents: [UInt64]
    /// Per level, the value as explanations print it.
    package let labels: [String]

    /// Bytes of the raw user agent that go into its key (plus its length).
    static let userAgentKeyPrefix = 4096
    /// Longest user agent shown in explanations.
    static let userAgentLabelLength = 160

    /// Collects the features of one login; `ip`, `asn` and `country` are the resolved values
    /// (request `geo` first, then the IP database), `userAgent` the raw header.
    public init(ip: IPAddress?, asn: Double?, country: String?, userAgent: String?) {
        self.ip = ip
        let validASN = asn.flatMap { $0.isFinite && $0 >= 0 && $0 < 1e12 ? $0 : nil }
        self.asn = validASN
        let code = country.map { String($0.prefix(16).uppercased().filter { !$0.isWhitespace }.prefix(8)) }
            .flatMap { $0.isEmpty ? nil : $0 }
        self.country = code
        let agent = userAgent.flatMap { $0.isEmpty ? nil : $0 }
        let parsed = agent.map { UserAgent(parsing: $0) }
        self.userAgent = parsed

        var keys = [UInt64](repeating: 0, count: ModelLevel.count)
        var parents = [UInt64](repeating: 0, count: ModelLevel.count)
        var labels = [String](repeating: "", count: ModelLevel.count)

        // Location chain.
        let locationDepth = ip != nil ? 3 : validASN != nil ? 2 : code != nil ? 1 : 0
        var parent = FeatureHash.chainRoot(0)
        for level in [ModelLevel.country, .asn, .ip] where level.rawValue < locationDepth {
            var hash = FeatureHash(parent: parent, level: level)
            switch level {
            case .country:
                if let code { hash.feed(code.utf8[...], limit: 8) } else { hash.feed(byte: 0xFF) }
                labels[level.rawValue] = code ?? "unknown"
            case .asn:
                if let validASN { hash.feed(UInt64(validASN)) } else { hash.feed(byte: 0xFF); hash.feed(byte: 0xFF) }
                labels[level.rawValue] = validASN.map { "AS\(UInt64($0))" } ?? "unknown"
            default:
                if let ip {
                    hash.feed(byte: ip.isV4 ? 4 : 6)
                    hash.feed(ip.high)
                    hash.feed(ip.low)
                }
                labels[level.rawValue] = ip?.description ?? "unknown"
            }
            keys[level.rawValue] = hash.finish()
            parents[level.rawValue] = parent
            parent = keys[level.rawValue]
        }

        // Agent chain: all four levels come from one header, so it is all or nothing.
        if let agent, let parsed {
            parent = FeatureHash.chainRoot(1)
            for level in [ModelLevel.deviceType, .os, .browser, .userAgent] {
                var hash = FeatureHash(parent: parent, level: level)
                let label: String
                switch level {
                case .deviceType: label = parsed.deviceType.rawValue
                case .os: label = parsed.os
                case .browser: label = parsed.browser
                default: label = String(agent.prefix(LoginFeatures.userAgentLabelLength))
                }
                if level == .userAgent {
                    hash.feed(agent.utf8[...], limit: LoginFeatures.userAgentKeyPrefix)
                } else {
                    hash.feed(label.utf8[...], limit: 64)
                }
                keys[level.rawValue] = hash.finish()
                parents[level.rawValue] = parent
                labels[level.rawValue] = label
                parent = keys[level.rawValue]
            }
        }
        self.keys = keys
        self.parents = parents
        self.labels = labels
    }

    /// Collects the features of `context`, taking the user agent from its device.
    public init(context: RequestContext, ip: IPAddress?, asn: Double?, country: String?) {
        self.init(ip: ip, asn: asn, country: country, userAgent: context.device?.userAgent)
    }

    /// Whether `level` takes part in scoring for this login.
    public func has(_ level: ModelLevel) -> Bool { keys[level.rawValue] != 0 }
}
