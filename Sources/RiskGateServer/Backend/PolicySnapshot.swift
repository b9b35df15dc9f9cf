import RiskGatePolicy

/// A policy as the service holds it (`GET /v1/policy`): its name, content hash and YAML source.
public struct PolicySnapshot: Sendable, Hashable, Codable {
    public var name: String
    /// `sha256:` and the hex digest of ``source``, as in decisions' `policy.hash`.
    public var hash: String
    public var source: String

    public init(name: String, hash: String, source: String) {
        self.name = name; self.hash = hash; self.source = source
    }

    /// The reference decisions carry.
    public var reference: Decision.PolicyReference { .init(name: name, hash: hash) }
}

/// The answer to a policy replacement: accepted (and swapped in) or rejected, with every diagnostic.
public struct PolicyChange: Sendable, Hashable, Codable {
    /// Whether the new policy is now in effect; false leaves the previous one untouched.
    public var accepted: Bool
    /// The policy now in effect for this slot, when accepted.
    public var policy: Decision.PolicyReference?
    /// All problems found, sorted by position; warnings may accompany an accepted policy.
    public var diagnostics: [PolicyDiagnostic]

    public init(accepted: Bool, policy: Decision.PolicyReference? = nil, diagnostics: [PolicyDiagnostic]) {
        self.accepted = accepted; self.policy = policy; self.diagnostics = diagnostics
    }
}

/// One compiler diagnostic in the JSON shape of `riskgate check --format json` (docs/policy-language.md).
public struct PolicyDiagnostic: Sendable, Hashable, Codable {
    /// Stable code such as `RG1001`.
    public var code: String
    /// `error` or `warning`.
    public var severity: String
    public var message: String
    public var file: String
    /// 1-based.
    public var line: Int
    /// 1-based.
    public var column: Int
    public var help: String?

    public init(code: String, severity: String, message: String, file: String, line: Int, column: Int,
                help: String? = nil) {
        self.code = code; self.severity = severity; self.message = message; self.file = file
        self.line = line; self.column = column; self.help = help
    }
}
