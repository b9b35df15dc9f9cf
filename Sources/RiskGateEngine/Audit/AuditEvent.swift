import Foundation
import RiskGatePolicy

/// What kind of action an audit record describes.
public enum AuditKind: String, Sendable, Hashable, Codable, CaseIterable {
    case decision
    case verification
    case admin
    /// A label sent back for an earlier decision (`POST /v1/feedback`).
    case feedback
    /// A shadow policy's decision, logged beside the enforced one and never enforced.
    case shadow
}

/// One audit entry as written by the engine, before the store numbers and chains it.
///
/// Holds no secret and no personal data beyond the user id: no codes, answers, typed characters,
/// phone numbers, emails or IP addresses. Use ``redactedSignals(_:)`` for signal values.
public struct AuditEvent: Sendable, Hashable {
    public var time: Date
    public var kind: AuditKind
    public var user: String
    /// `sha256:...` of the policy that decided, when one did.
    public var policyHash: String?
    /// The outcome decided, or the challenge's outcome after a verification.
    public var outcome: String?
    /// Rule ids that led here (decision path).
    public var rules: [String]
    /// Signal values used, already redacted.
    public var signals: [String: JSONValue]
    /// The redacted signals already written as the record's JSON
    /// (``RiskGatePolicy/CompiledPolicy/redactedSignalsJSON(_:)``), used instead of ``signals``:
    /// the engine writes a decision's this way, without a dictionary.
    package var renderedSignals: String?
    /// `decide`, `otp`, `kba`, `partial_secret`, `delay`, `account.set`, `account.clear`, ...
    public var method: String?
    /// `passed`, `failed`, `expired`, `locked`, `too_early`, or a decision's `ok`.
    public var result: String?
    /// The decision or challenge id this record is about.
    public var reference: String?

    public init(time: Date, kind: AuditKind, user: String, policyHash: String? = nil, outcome: String? = nil,
                rules: [String] = [], signals: [String: JSONValue] = [:], method: String? = nil,
                result: String? = nil, reference: String? = nil) {
        self.time = time; self.kind = kind; self.user = user; self.policyHash = policyHash; self.outcome = outcome
        self.rules = rules; self.signals = signals; self.method = method; self.result = result
        self.reference = reference
    }

    /// Signal values safe for the audit log: booleans and numbers, plus a few coarse strings.
    ///
    /// Identifying strings (`ip.address`, device ids, user agents, phone numbers) are dropped, so the
    /// log never holds personal data beyond the user id even when a caller passes every signal.
    public static func redactedSignals(_ signals: [String: JSONValue]) -> [String: JSONValue] {
        var kept: [String: JSONValue] = [:]
        for (name, value) in signals where keeps(name, value) { kept[name] = value }
        return kept
    }

    /// Whether the audit log may hold this signal value (see ``redactedSignals(_:)``).
    public static func keeps(_ name: String, _ value: JSONValue) -> Bool {
        switch value {
        case .bool, .number, .null: true
        case .string: allowedStringSignals.contains(name)
        default: false
        }
    }

    static let allowedStringSignals: Set<String> = ["channel", "request.action", "ip.country", "score.band"]

    /// The audit event for a decision, with redacted signals from its explanation.
    public static func decision(_ decision: Decision, user: String, time: Date, signals: [String: JSONValue] = [:]) -> AuditEvent {
        self.decision(decision, user: user, time: time, redactedSignals: redactedSignals(decision.explanation?.signals ?? signals))
    }

    /// The audit event for a decision, with signals the caller already redacted (e.g. by
    /// ``CompiledPolicy/redactedSignalValues(_:)``).
    public static func decision(_ decision: Decision, user: String, time: Date, redactedSignals: [String: JSONValue]) -> AuditEvent {
        AuditEvent(time: time, kind: .decision, user: user, policyHash: decision.policy.hash,
                   outcome: decision.outcome.rawValue, rules: decision.path, signals: redactedSignals,
                   method: "decide", result: "ok", reference: decision.id)
    }
}
