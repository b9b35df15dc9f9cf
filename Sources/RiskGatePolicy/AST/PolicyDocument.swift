/// A value with the position it was written at.
package struct Located<T: Sendable>: Sendable {
    package var value: T
    package var position: SourcePosition
    package init(_ value: T, _ position: SourcePosition) {
        self.value = value
        self.position = position
    }
}

/// A policy file as written: the output of the `buildAST` stage.
///
/// Shapes are checked here (a rule is a mapping, `points` is present, ...); names and types later.
package struct PolicyDocument: Sendable {
    package var name: Located<String>?
    package var description = ""
    package var lists: [ListDeclaration] = []
    package var settings = PolicySettings()
    /// Settings as they may be named in expressions, with their typed values.
    package var settingValues: [String: Value] = [:]
    package var scoreRules: [ScoreRule] = []
    package var bands = ScoreBands()
    package var bandsPosition: SourcePosition?
    package var decide: [DecideRule] = []
    package var decidePosition: SourcePosition?
    package var challenges = ChallengePolicy()
    package var onFailure: [OnFailureLink] = []
    package var fallbacks: [FallbackDeclaration] = []
    /// Plans that ask for a push approval, at their `push:` value (for the fallback check).
    package var pushPlans: [Located<Outcome>] = []
}

/// `lists: { name: { file: ... } | { cidrs: [...] } | { values: [...] } }`.
package struct ListDeclaration: Sendable {
    package enum Source: Sendable {
        case file(Located<String>)
        case cidrs([Located<String>])
        case values([String])
    }
    package var name: Located<String>
    package var source: Source
}

/// One `score.rules` entry.
package struct ScoreRule: Sendable {
    package var id: Located<String>
    package var when: ExpressionSource?
    package var points: ExpressionSource?
    package var reason: String?
    package var position: SourcePosition
}

/// One `decide` entry: a leaf with an outcome, or a group with nested rules.
package struct DecideRule: Sendable {
    package var id: Located<String>
    package var when: ExpressionSource?
    package var outcome: Located<Outcome>?
    package var rules: [DecideRule]?
    package var position: SourcePosition
}

/// `challenges.<outcome>.on_failure`, kept with positions for the cycle check.
package struct OnFailureLink: Sendable {
    package var from: Outcome
    package var to: Located<Outcome>
}

/// `challenges.fallbacks` entry.
package struct FallbackDeclaration: Sendable {
    package var when: ExpressionSource?
    package var replace: String
    package var with: String
    package var position: SourcePosition
}

/// The score thresholds of the `medium` and `high` bands (low is below `medium`).
public struct ScoreBands: Sendable, Hashable {
    public var medium: Double = 35
    public var high: Double = 70
    public init(medium: Double = 35, high: Double = 70) {
        self.medium = medium
        self.high = high
    }

    /// The band of a clamped score.
    public func band(of score: Double) -> String {
        score >= high ? "high" : (score >= medium ? "medium" : "low")
    }
}
