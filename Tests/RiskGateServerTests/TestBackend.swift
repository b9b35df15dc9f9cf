import Foundation
import RiskGateEngine
import RiskGatePolicy
import RiskGateServer

/// A deterministic in-memory backend with the observable behaviour of the real one at the HTTP
/// boundary: decisions are stored and can receive feedback, challenges have codes, attempts and
/// lockout (three wrong codes, or three failed passwords, lock the account), accounts persist, and
/// policies are "compiled" (a small line checker) before being swapped.
///
/// Codes are fixed (`123456`) so tests can pass challenges; nothing here is used outside tests.
actor TestBackend: DecisionBackend {
    struct Challenge {
        var user: String
        var steps: [String]
        var code: String
        var failures: Int = 0
        var done = false
    }

    private(set) var decisions: [String: Decision] = [:]
    private(set) var feedbackLabels: [String: FeedbackLabel] = [:]
    private(set) var accounts: [String: AccountUpsert] = [:]
    private(set) var challenges: [String: Challenge] = [:]
    private(set) var lockedUsers: Set<String> = []
    private var passwordFailures: [String: Int] = [:]
    private var active: PolicySnapshot
    private var shadow: PolicySnapshot?
    private var counter = 0
    /// When set, `decide` waits here until ``release()`` (for shutdown tests).
    private var gate: CheckedContinuation<Void, Never>?
    private var holdDecisions = false
    private let entered: AsyncStream<Void>.Continuation
    /// Yields once each time `decide` starts while decisions are held.
    nonisolated let decideEntered: AsyncStream<Void>

    static let maxAttempts = 3
    /// Failed passwords (`result: failure` decisions) that lock an account.
    static let maxPasswordFailures = 3
    static let code = "123456"

    init(policySource: String = TestBackend.defaultPolicy) {
        active = Self.document(policySource)
        (decideEntered, entered) = AsyncStream<Void>.makeStream()
    }

    static let defaultPolicy = """
        riskgate: 1
        policy: helpdesk-chat
        decide:
          - { id: default, outcome: passive }

        """

    func holdDecisionsUntilReleased() { holdDecisions = true }
    func release() {
        holdDecisions = false
        gate?.resume()
        gate = nil
    }

    func decide(_ request: RiskGatePolicy.RequestContext, explain: Bool) async throws -> Decision {
        if holdDecisions {
            entered.yield()
            await withCheckedContinuation { gate = $0 }
        }
        counter += 1
        let id = "dec-\(counter)"
        let account = accounts[request.user]
        var contributions: [Decision.Contribution] = []
        if request.result == "failure" { contributions.append(.init(id: "password-failed", points: 40, reason: "result")) }
        if request.device?.id == nil { contributions.append(.init(id: "no-device", points: 15, reason: "device.new")) }
        if let home = account?.homeCountry, let country = request.geo?.country, home != country {
            contributions.append(.init(id: "far-away", points: 25, reason: "geo.country_mismatch"))
        }
        let score = min(100, contributions.reduce(0) { $0 + $1.points })
        let band = score >= 70 ? "high" : score >= 35 ? "medium" : "low"
        let (outcome, rule): (Outcome, String) =
            lockedUsers.contains(request.user) ? (.deny, "locked")
            : score >= 70 ? (.otpKbaDelay, "high") : score >= 35 ? (.otp, "medium") : (.passive, "default")
        var challenge: Decision.ChallengeSummary?
        if outcome == .otp || outcome == .otpKbaDelay {
            let challengeID = "ch-\(counter)"
            let steps = outcome == .otp ? ["otp"] : ["otp", "kba"]
            challenges[challengeID] = Challenge(user: request.user, steps: steps, code: Self.code)
            challenge = .init(id: challengeID, steps: steps, otp: .init(channel: request.channel == "sms" ? "email" : "sms", ttlS: 300))
        }
        let explanation = explain
            ? Decision.Explanation(signals: ["device.new": .bool(request.device?.id == nil)],
                                   conditions: [.init(rule: rule, condition: "score >= 35", value: score >= 35)])
            : nil
        var decision = Decision(
            id: id, outcome: outcome, score: score, band: band, rule: rule, path: [rule],
            contributions: contributions, challenge: challenge, policy: active.reference, explanation: explanation)
        if request.result == "failure", !lockedUsers.contains(request.user) {
            passwordFailures[request.user, default: 0] += 1
            if passwordFailures[request.user] == Self.maxPasswordFailures {
                lockedUsers.insert(request.user)
                decision.lockedAccount = true
            }
        }
        decisions[id] = decision
        return decision
    }

    func verify(challengeID: String, step: String, response: String) async throws -> VerificationReply {
        guard var challenge = challenges[challengeID] else { throw BackendError.notFound("challenge") }
        if lockedUsers.contains(challenge.user) { return VerificationReply(result: .locked, outcome: .deny) }
        guard !challenge.done else { throw BackendError.conflict("challenge is already complete") }
        guard let current = challenge.steps.first else { throw BackendError.conflict("challenge has no pending step") }
        guard step == current else {
            throw BackendError.conflict("challenge is waiting for step `\(current)`, not `\(step)`")
        }
        let expected = step == "otp" ? challenge.code : "blue"
        if response == expected {
            challenge.steps.removeFirst()
            challenge.done = challenge.steps.isEmpty
            challenges[challengeID] = challenge
            return VerificationReply(result: .passed, nextStep: challenge.steps.first,
                                     outcome: challenge.done ? .passive : nil)
        }
        challenge.failures += 1
        if challenge.failures >= Self.maxAttempts {
            lockedUsers.insert(challenge.user)
            challenge.done = true
            challenges[challengeID] = challenge
            return VerificationReply(result: .locked, outcome: .deny, attemptsRemaining: 0, lockedAccount: true)
        }
        challenges[challengeID] = challenge
        return VerificationReply(result: .failed, nextStep: step, attemptsRemaining: Self.maxAttempts - challenge.failures)
    }

    func feedback(decisionID: String, label: FeedbackLabel) async throws {
        guard decisions[decisionID] != nil else { throw BackendError.notFound("decision") }
        feedbackLabels[decisionID] = label
    }

    func upsertAccount(user: String, _ update: AccountUpsert) async throws {
        var account = accounts[user] ?? AccountUpsert()
        if let v = update.homeCountry { account.homeCountry = v }
        if let v = update.phone { account.phone = v }
        if let v = update.email { account.email = v }
        if let v = update.kba { account.kba = v }
        if let v = update.secret { account.secret = v }
        if let v = update.trustedDevices { account.trustedDevices = v }
        accounts[user] = account
    }

    func activePolicy() async -> PolicySnapshot { active }
    func shadowPolicy() async -> PolicySnapshot? { shadow }

    func replacePolicy(source: String) async -> PolicyChange {
        let diagnostics = Self.check(source)
        guard !diagnostics.contains(where: { $0.severity == "error" }) else {
            return PolicyChange(accepted: false, diagnostics: diagnostics)
        }
        active = Self.document(source)
        return PolicyChange(accepted: true, policy: active.reference, diagnostics: diagnostics)
    }

    func replaceShadow(source: String) async -> PolicyChange {
        let diagnostics = Self.check(source)
        guard !diagnostics.contains(where: { $0.severity == "error" }) else {
            return PolicyChange(accepted: false, diagnostics: diagnostics)
        }
        shadow = Self.document(source)
        return PolicyChange(accepted: true, policy: shadow?.reference, diagnostics: diagnostics)
    }

    /// A small stand-in for the compiler: `riskgate: 1` and a valid `policy:` name are required,
    /// `outcome:` values must be known; every problem is reported with its position.
    static func check(_ source: String) -> [PolicyDiagnostic] {
        var diagnostics: [PolicyDiagnostic] = []
        var sawVersion = false, sawName = false
        for (index, line) in source.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if line.hasPrefix("riskgate:") {
                sawVersion = true
                if line.dropFirst(9).trimmingCharacters(in: .whitespaces) != "1" {
                    diagnostics.append(.init(code: "RG1002", severity: "error", message: "unsupported language version",
                                             file: "policy.yaml", line: index + 1, column: 11, help: "use `riskgate: 1`"))
                }
            }
            if line.hasPrefix("policy:") {
                sawName = true
                let name = line.dropFirst(7).trimmingCharacters(in: .whitespaces)
                if name.isEmpty || !name.allSatisfy({ $0.isLowercase || $0.isNumber || $0 == "-" }) {
                    diagnostics.append(.init(code: "RG1003", severity: "error", message: "policy name must match `[a-z0-9-]+`",
                                             file: "policy.yaml", line: index + 1, column: 9))
                }
            }
            if let range = line.range(of: "outcome: ") {
                let word = line[range.upperBound...].prefix { $0.isLetter || $0 == "_" }
                if Outcome(rawValue: String(word)) == nil {
                    let column = line.distance(from: line.startIndex, to: range.upperBound) + 1
                    diagnostics.append(.init(code: "RG1310", severity: "error", message: "unknown outcome `\(word)`",
                                             file: "policy.yaml", line: index + 1, column: column,
                                             help: "outcomes are passive, otp, otp_kba_delay, agent_escalation, deny"))
                }
            }
        }
        if !sawVersion {
            diagnostics.append(.init(code: "RG1001", severity: "error", message: "missing required key `riskgate`",
                                     file: "policy.yaml", line: 1, column: 1))
        }
        if !sawName {
            diagnostics.append(.init(code: "RG1001", severity: "error", message: "missing required key `policy`",
                                     file: "policy.yaml", line: 1, column: 1))
        }
        return diagnostics.sorted { ($0.line, $0.column) < ($1.line, $1.column) }
    }

    static func document(_ source: String) -> PolicySnapshot {
        let name = source.split(separator: "\n").first { $0.hasPrefix("policy:") }
            .map { $0.dropFirst(7).trimmingCharacters(in: .whitespaces) } ?? "unnamed"
        return PolicySnapshot(name: name, hash: "sha256:" + SHA256.hex(source), source: source)
    }
}
