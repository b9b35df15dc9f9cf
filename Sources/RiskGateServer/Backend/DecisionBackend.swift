import RiskGate
import RiskGateEngine
import RiskGatePolicy

/// What the HTTP service needs from the engine: decisions, challenge verification, feedback,
/// account profiles and policy management.
///
/// The server is a thin layer: it authenticates, bounds and decodes input, and maps results and
/// ``BackendError``s to HTTP. Everything that changes state happens inside one backend call, which
/// must apply all of its writes or none (the HTTP layer never does partial work of its own).
/// Implementations are shared by all connections, so they must be safe to call concurrently.
public protocol DecisionBackend: Sendable {
    /// Decides one request (docs/http-api.md), recording it in history and the audit log.
    ///
    /// - Parameter explain: include every signal used and the deciding rule's sub-conditions.
    /// - Throws: ``BackendError/invalid(field:message:)`` for a request the engine cannot use.
    func decide(_ request: RequestContext, explain: Bool) async throws -> Decision

    /// Checks a user's response to one step of a challenge.
    ///
    /// Domain outcomes (`failed`, `expired`, `locked`, `too_early`) are replies, not errors.
    /// - Throws: ``BackendError/notFound(_:)`` for an unknown challenge,
    ///   ``BackendError/conflict(_:)`` for a step the challenge is not waiting for.
    func verify(challengeID: String, step: String, response: String) async throws -> VerificationReply

    /// Checks a user's response to one step, with a `push` step's signed answer from the app.
    func verify(challengeID: String, step: String, response: String, push: PushAnswer?) async throws -> VerificationReply

    /// Records ground truth for an earlier decision.
    ///
    /// - Throws: ``BackendError/notFound(_:)`` when the decision id is unknown.
    func feedback(decisionID: String, label: FeedbackLabel) async throws

    /// Creates or updates an account profile; absent fields keep their stored values.
    ///
    /// KBA answers and the secret arrive in clear text and must be hashed before storage.
    func upsertAccount(user: String, _ update: AccountUpsert) async throws

    /// The policy currently enforced.
    func activePolicy() async -> PolicySnapshot

    /// The shadow policy evaluated beside the active one, if any.
    func shadowPolicy() async -> PolicySnapshot?

    /// Compiles `source` and, when it has no errors, swaps it in atomically as the active policy.
    func replacePolicy(source: String) async -> PolicyChange

    /// Compiles `source` and, when it has no errors, makes it the shadow policy (logged, never enforced).
    func replaceShadow(source: String) async -> PolicyChange

    /// Called once after the server has stopped accepting requests and finished in-flight ones.
    func shutdown() async

    /// The audit log's head, logged every minute as an anchor outside the database; `nil` for a
    /// backend that keeps no audit log.
    func auditHead() async throws -> AuditHead?

    /// Up to `limit` audit records after record `id`, in order, for `--audit-stream`.
    func auditRecords(after id: Int64, limit: Int) async throws -> [AuditRecord]

    /// The last audit record marked as shipped (``AuditExport/exportedThrough(_:)``), 0 when none.
    func auditExportedThrough() async throws -> Int64

    /// Marks audit records up to `id` as shipped, so `riskgate audit prune` may delete them.
    func markAuditExported(through id: Int64) async throws
}

extension DecisionBackend {
    /// Backends without push approvals verify every other step and refuse a push answer.
    public func verify(challengeID: String, step: String, response: String, push: PushAnswer?) async throws -> VerificationReply {
        guard push == nil else { throw BackendError.invalid(field: "step", message: "this backend does not verify push approvals") }
        return try await verify(challengeID: challengeID, step: step, response: response)
    }
    /// Backends without a shadow concept report none.
    public func shadowPolicy() async -> PolicySnapshot? { nil }
    /// Backends without resources to release need no shutdown step.
    public func shutdown() async {}
    /// Backends without an audit log have no head.
    public func auditHead() async throws -> AuditHead? { nil }
    /// Backends without an audit log have no records to stream.
    public func auditRecords(after id: Int64, limit: Int) async throws -> [AuditRecord] { [] }
    public func auditExportedThrough() async throws -> Int64 { 0 }
    public func markAuditExported(through id: Int64) async throws {}
}
