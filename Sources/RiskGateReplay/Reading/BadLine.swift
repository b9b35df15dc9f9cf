import RiskGatePolicy

/// A dataset line replay skipped, and why.
public struct BadLine: Sendable, Hashable, Codable {
    /// 1-based line number in the dataset.
    public var line: Int
    /// What is wrong, in the diagnostics style (lowercase, input in backticks).
    public var message: String

    public init(line: Int, message: String) {
        self.line = line
        self.message = message
    }
}

/// One parsed dataset line: the request and where it came from.
public struct ReplayEvent: Sendable, Hashable {
    /// 1-based line number in the dataset, for reports and error messages.
    public var line: Int
    /// The request; replay guarantees ``RequestContext/time`` is set.
    public var context: RequestContext
    /// ``RequestContext/time`` as seconds since 1970, kept to avoid converting back.
    public var seconds: Double

    public init(line: Int, context: RequestContext, seconds: Double) {
        self.line = line
        self.context = context
        self.seconds = seconds
    }

    /// Whether replay plays the user as an attacker who fails every challenge (docs/replay.md): the
    /// event is labelled an attack.
    public var attackerFailsChallenges: Bool { context.label?.isAttack == true }
}
