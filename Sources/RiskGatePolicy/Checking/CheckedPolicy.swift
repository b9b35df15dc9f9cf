/// A policy whose names are resolved and expressions typed: the output of `typeCheck`,
/// the input of `analyse` and `compileGraph`.
package struct CheckedPolicy: Sendable {
    package var document: PolicyDocument
    package var lists: ResolvedLists
    package var scoreRules: [CheckedScoreRule] = []
    package var decide: [CheckedDecideRule] = []
    /// Fallback conditions in `challenges.fallbacks` order; `nil` for "always".
    package var fallbacks: [TypedExpression?] = []
    package var usedSignals: Set<Signal> = []
}

package struct CheckedScoreRule: Sendable {
    package var id: String
    package var when: TypedExpression?
    package var points: TypedExpression
    /// `reason:`, else the `when` text, else the `points` text.
    package var reason: String
}

package struct CheckedDecideRule: Sendable {
    package var id: String
    package var position: SourcePosition
    /// `nil`: always matches (or failed to check; see ``conditionFailed``).
    package var when: TypedExpression?
    /// Whether the condition had errors (analysis then knows nothing about it).
    package var conditionFailed = false
    package var whenText: String?
    /// The condition's top-level `and`/`or` operands with their texts, for explanations.
    package var parts: [(text: String, condition: TypedExpression)] = []
    package var outcome: Outcome?
    package var rules: [CheckedDecideRule]?
}
