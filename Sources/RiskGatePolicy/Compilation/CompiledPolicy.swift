/// A compiled policy: an immutable decision graph and score rules, cheap to share across threads.
///
/// Compile once with ``PolicyCompiler``, then call ``evaluate(_:into:)`` for every request.
public struct CompiledPolicy: Sendable {
    /// The `policy:` name.
    public let name: String
    public let description: String
    /// `sha256:` and the hex digest of the policy source bytes.
    public let hash: String
    /// Thresholds from `settings:` and `lockout:`.
    public let settings: PolicySettings
    /// How outcomes are carried out (`challenges:`); fallback conditions via ``fallbackApplies(_:signals:)``.
    public let challenges: ChallengePolicy
    /// Score band thresholds.
    public let bands: ScoreBands
    /// Every signal an expression reads, in registry order (signal engines may skip the rest).
    public let usedSignals: [Signal]
    /// ``usedSignals`` in the byte order of their names: the order of the keys of a JSON object
    /// of their values, so one can be written without sorting a dictionary per request.
    package let usedSignalsByName: [Signal]
    /// The union of lists marked `anonymous: true`, for the `ip.anonymous` signal.
    public let anonymousIPs: IPSet

    package let program: ExpressionProgram
    package let scoreRules: [CompiledScoreRule]
    package let rules: [GraphRule]
    package let fallbackConditions: [Int32]

    init(name: String, description: String, hash: String, settings: PolicySettings, challenges: ChallengePolicy,
         bands: ScoreBands, usedSignals: [Signal], anonymousIPs: IPSet, program: ExpressionProgram,
         scoreRules: [CompiledScoreRule], rules: [GraphRule], fallbackConditions: [Int32]) {
        self.name = name; self.description = description; self.hash = hash; self.settings = settings
        self.challenges = challenges; self.bands = bands; self.usedSignals = usedSignals; self.anonymousIPs = anonymousIPs
        usedSignalsByName = usedSignals.sorted { JSONWriter.utf8Precedes($0.name, $1.name) }
        self.program = program; self.scoreRules = scoreRules; self.rules = rules; self.fallbackConditions = fallbackConditions
    }

    /// Ids of the score rules, in order (the indices of ``Evaluation/points``).
    public var scoreRuleIDs: [String] { scoreRules.map(\.id) }

    /// Ids of the decide rules in document order (the indices of ``Evaluation/ruleIndex``).
    public var ruleIDs: [String] { rules.map(\.id) }
    /// The id of the rule at `index` in ``ruleIDs``, or an empty string when out of range.
    public func ruleID(at index: Int) -> String { rules.indices.contains(index) ? rules[index].id : "" }
    /// The decide rules that select an outcome (groups left out), in policy order.
    public var outcomeRuleIDs: [String] { rules.filter { $0.outcome != nil }.map(\.id) }

    /// The reference decisions carry.
    public var reference: Decision.PolicyReference { Decision.PolicyReference(name: name, hash: hash) }
}

/// One score rule, compiled.
package struct CompiledScoreRule: Sendable {
    package var id: String
    /// -1: always.
    package var when: Int32
    package var points: Int32
    package var reason: String
}

/// One decide rule in document (pre-)order; a group's subtree is `index+1 ..< end`.
package struct GraphRule: Sendable {
    package var id: String
    /// -1: always matches.
    package var condition: Int32
    package var whenText: String?
    /// `nil` for a group.
    package var outcome: Outcome?
    /// One past the last rule of this rule's subtree.
    package var end: Int
    /// Index of the enclosing group, -1 at the top level.
    package var parent: Int
    /// Sub-conditions and their texts, for explanations.
    package var parts: [(text: String, condition: Int32)]
}
