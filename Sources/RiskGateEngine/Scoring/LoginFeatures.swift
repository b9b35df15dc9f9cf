import RiskGatePolicy

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
    package let keys: PerLevel<UInt64>
    /// Per level, the key of the value above it, or the chain root (0 when the level is left out).
    package let parents: PerLevel<UInt64>
    /// The raw user agent, kept (not copied) for the `user_agent` label.
    private let agentText: String?

    /// Bytes of the raw user agent that go into its key (plus its length).
    static let userAgentKeyPrefix = 4096
    /// Longest user agent shown in explanations.
    static let userAgentLabelLength = 160

    /// Collects the features of one login; `ip`, `asn` and `country` are the resolved values
    /// (request `geo` first, then the IP database), `userAgent` the raw header.
    public init(ip: IPAddress?, asn: Double?, country: String?, userAgent: String?) {
        let agent = userAgent.flatMap { $0.isEmpty ? nil : $0 }
        self.init(ip: ip, asn: asn, country: country, agent: agent,
                  agentChain: agent.map { LoginFeatures.agentChain(agent: $0, parsed: UserAgent(parsing: $0)) })
    }

    /// As ``init(ip:asn:country:userAgent:)``, taking the agent chain from `cache` (parsing and
    /// hashing a header only the first time it is seen).
    package init(ip: IPAddress?, asn: Double?, country: String?, userAgent: String?, cache: UserAgentChainCache) {
        let agent = userAgent.flatMap { $0.isEmpty ? nil : $0 }
        self.init(ip: ip, asn: asn, country: country, agent: agent, agentChain: agent.map { cache.chain(for: $0) })
    }

    private init(ip: IPAddress?, asn: Double?, country: String?, agent: String?, agentChain: AgentChain?) {
        self.ip = ip
        let validASN = asn.flatMap { $0.isFinite && $0 >= 0 && $0 < 1e12 ? $0 : nil }
        self.asn = validASN
        let code = country.map(LoginFeatures.countryCode).flatMap { $0.isEmpty ? nil : $0 }
        self.country = code
        self.userAgent = agentChain?.parsed
        self.agentText = agent

        // Fixed-size, inline: no arrays to allocate for each login.
        var keys = PerLevel<UInt64>(repeating: 0)
        var parents = PerLevel<UInt64>(repeating: 0)

        // Location chain.
        let locationDepth = ip != nil ? 3 : validASN != nil ? 2 : code != nil ? 1 : 0
        var parent = FeatureHash.chainRoot(0)
        for raw in 0..<locationDepth {
            let level = ModelLevel(rawValue: raw)!
            var hash = FeatureHash(parent: parent, level: level)
            switch level {
            case .country:
                if let code { hash.feed(code.utf8[...], limit: 8) } else { hash.feed(byte: 0xFF) }
            case .asn:
                if let validASN { hash.feed(UInt64(validASN)) } else { hash.feed(byte: 0xFF); hash.feed(byte: 0xFF) }
            default:
                if let ip {
                    hash.feed(byte: ip.isV4 ? 4 : 6)
                    hash.feed(ip.high)
                    hash.feed(ip.low)
                }
            }
            keys[level.rawValue] = hash.finish()
            parents[level.rawValue] = parent
            parent = keys[level.rawValue]
        }

        // Agent chain: all four levels come from one header, so it is all or nothing.
        if let agentChain {
            for offset in 0..<AgentChain.levels.count {
                let level = AgentChain.levels[offset].rawValue
                keys[level] = agentChain.keys[offset]
                parents[level] = agentChain.parents[offset]
            }
        }
        self.keys = keys
        self.parents = parents
    }

    /// `country` upper-cased without whitespace, at most 8 characters (of the first 16).
    static func countryCode(_ country: String) -> String {
        // Most codes are already upper-case ASCII letters: kept as they are, without the
        // Unicode case mapping and filtering (which allocate and were ~2 % of a replay).
        let utf8 = country.utf8
        if utf8.count <= 8, utf8.allSatisfy({ ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x30 && $0 <= 0x39) }) {
            return country
        }
        return String(country.prefix(16).uppercased().filter { !$0.isWhitespace }.prefix(8))
    }

    /// The agent chain's keys for one header: they depend on the header alone, so they can be cached.
    package struct AgentChain: Sendable {
        static let levels: [ModelLevel] = [.deviceType, .os, .browser, .userAgent]
        let parsed: UserAgent
        /// Per level of ``levels``, the key and its parent's key.
        let keys: [UInt64]
        let parents: [UInt64]
    }

    static func agentChain(agent: String, parsed: UserAgent) -> AgentChain {
        var keys: [UInt64] = []
        var parents: [UInt64] = []
        var parent = FeatureHash.chainRoot(1)
        for level in AgentChain.levels {
            var hash = FeatureHash(parent: parent, level: level)
            if level == .userAgent {
                hash.feed(agent.utf8[...], limit: LoginFeatures.userAgentKeyPrefix)
            } else {
                hash.feed(agentLabel(level, agent: agent, parsed: parsed).utf8[...], limit: 64)
            }
            let key = hash.finish()
            keys.append(key)
            parents.append(parent)
            parent = key
        }
        return AgentChain(parsed: parsed, keys: keys, parents: parents)
    }

    private static func agentLabel(_ level: ModelLevel, agent: String, parsed: UserAgent) -> String {
        switch level {
        case .deviceType: parsed.deviceType.rawValue
        case .os: parsed.os
        case .browser: parsed.browser
        default: String(agent.prefix(LoginFeatures.userAgentLabelLength))
        }
    }

    /// Per level, the value as explanations print it ("" for levels left out); built on demand,
    /// since only explanations read it.
    package var labels: [String] {
        var labels = [String](repeating: "", count: ModelLevel.count)
        for level in ModelLevel.allCases where keys[level.rawValue] != 0 {
            switch level {
            case .country: labels[level.rawValue] = country ?? "unknown"
            case .asn: labels[level.rawValue] = asn.map { "AS\(UInt64($0))" } ?? "unknown"
            case .ip: labels[level.rawValue] = ip?.description ?? "unknown"
            default:
                if let agentText, let userAgent {
                    labels[level.rawValue] = LoginFeatures.agentLabel(level, agent: agentText, parsed: userAgent)
                }
            }
        }
        return labels
    }

    /// Collects the features of `context`, taking the user agent from its device.
    public init(context: RequestContext, ip: IPAddress?, asn: Double?, country: String?) {
        self.init(ip: ip, asn: asn, country: country, userAgent: context.device?.userAgent)
    }

    /// Whether `level` takes part in scoring for this login.
    public func has(_ level: ModelLevel) -> Bool { keys[level.rawValue] != 0 }
}
