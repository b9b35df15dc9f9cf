import Foundation
import HTTPTypes
import Hummingbird
import Logging
import RiskGateEngine
import RiskGatePolicy

/// The HTTP endpoints of docs/http-api.md, each a thin adapter: bound and decode input, call the backend
/// once, encode its answer. No handler writes state of its own, so a failure at any point before
/// or inside the backend call leaves nothing half-done.
struct Routes<Backend: DecisionBackend>: Sendable {
    let backend: Backend
    let metrics: ServerMetrics
    /// `GET /metrics` without a key (`--public-metrics`); otherwise it needs the `metrics` scope.
    let publicMetrics: Bool
    let jsonBody: BodyReader
    let policyBody: BodyReader

    func register(on router: Router<ServerContext>) {
        router.get("healthz") { _, _ in
            try JSONWire.response(["status": "ok"])
        }
        // The contract clients are generated from: public, like the documentation it is.
        router.get("openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"],
                     body: .init(byteBuffer: ByteBuffer(bytes: OpenAPIDocument.json)))
        }
        let metricsGroup = router.group("metrics")
        if !publicMetrics { metricsGroup.add(middleware: RequireScope(scope: .metrics)) }
        metricsGroup.get { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(string: metrics.render())))
        }
        router.group("v1/decisions").add(middleware: RequireScope(scope: .decide))
            .post { request, context in try await decide(request, context) }
        router.group("v1/feedback").add(middleware: RequireScope(scope: .decide))
            .post { request, context in try await feedback(request, context) }
        router.group("v1/challenges").add(middleware: RequireScope(scope: .verify))
            .post("{id}/verify") { request, context in try await verify(request, context) }
        router.group("v1/accounts").add(middleware: RequireScope(scope: .admin))
            .put("{user}") { request, context in try await upsertAccount(request, context) }
        let policy = router.group("v1/policy").add(middleware: RequireScope(scope: .admin))
        policy.get { _, _ in try JSONWire.response(await backend.activePolicy()) }
        policy.put { request, context in try await replace(request, context, slot: "active") }
        policy.get("shadow") { _, _ in
            guard let shadow = await backend.shadowPolicy() else {
                throw APIError(.notFound, code: "not_found", message: "no shadow policy is set")
            }
            return try JSONWire.response(shadow)
        }
        policy.put("shadow") { request, context in try await replace(request, context, slot: "shadow") }
    }

    func decide(_ request: Request, _ context: ServerContext) async throws -> Response {
        let explain = try Self.flag(request.uri.queryParameters.get("explain"), name: "explain")
        let body = try await jsonBody.read(request, channel: context.channel)
        let request = try DecisionBody.read(body)
        let start = ContinuousClock.now
        let decision = try await backend.decide(request, explain: explain)
        metrics.decision(decision.outcome, duration: ContinuousClock.now - start)
        if decision.lockedAccount { metrics.lockout() }
        context.accessLog?.add([
            "decision.id": .string(decision.id),
            "decision.outcome": .string(decision.outcome.rawValue),
            "decision.rule": .string(decision.rule),
            "policy.hash": .string(decision.policy.hash),
        ])
        return try JSONWire.response(decision)
    }

    func verify(_ request: Request, _ context: ServerContext) async throws -> Response {
        let id = try Self.pathParameter(context, "id", maxBytes: 128)
        let body = try await jsonBody.read(request, channel: context.channel)
        let input = try VerifyRequestBody(JSONInput.object(body))
        let reply = try await backend.verify(challengeID: id, step: input.step, response: input.response, push: input.push)
        metrics.challengeResult(reply.result)
        if reply.lockedAccount { metrics.lockout() }
        // The response itself (a code, an answer, secret characters) is never logged.
        context.accessLog?.add([
            "challenge.id": .string(id), "challenge.step": .string(input.step),
            "challenge.result": .string(reply.result.rawValue),
        ])
        return try JSONWire.response(reply)
    }

    func feedback(_ request: Request, _ context: ServerContext) async throws -> Response {
        let body = try await jsonBody.read(request, channel: context.channel)
        let input = try FeedbackRequestBody(JSONInput.object(body))
        try await backend.feedback(decisionID: input.decision, label: input.label)
        return try JSONWire.response(["decision": input.decision, "label": input.label.rawValue])
    }

    func upsertAccount(_ request: Request, _ context: ServerContext) async throws -> Response {
        let user = try Self.userParameter(context)
        let body = try await jsonBody.read(request, channel: context.channel)
        let input = try AccountRequestBody(JSONInput.object(body))
        try await backend.upsertAccount(user: user, input.update)
        context.logger.info("account updated", metadata: [
            "account.fields": .array(input.update.fieldNames.map { .string($0) })
        ])
        return try JSONWire.response(AccountReply(user: user, updated: input.update.fieldNames))
    }

    func replace(_ request: Request, _ context: ServerContext, slot: String) async throws -> Response {
        let body = try await policyBody.read(request, channel: context.channel)
        guard body.readableBytes > 0 else {
            throw APIError(.badRequest, code: "empty_body", message: "request body must be the policy's YAML text")
        }
        guard let source = String(validating: body.readableBytesView, as: UTF8.self) else {
            throw APIError(.badRequest, code: "invalid_encoding", message: "policy text must be UTF-8")
        }
        let change = slot == "active" ? await backend.replacePolicy(source: source) : await backend.replaceShadow(source: source)
        metrics.policyChange(slot: slot, accepted: change.accepted)
        context.logger.notice("policy change", metadata: [
            "policy.slot": .string(slot), "policy.accepted": .stringConvertible(change.accepted),
            "policy.hash": .string(change.policy?.hash ?? "-"),
            "policy.diagnostics": .stringConvertible(change.diagnostics.count),
        ])
        if change.accepted { return try JSONWire.response(change) }
        let errors = change.diagnostics.filter { $0.severity == "error" }.count
        return try JSONWire.response(
            RejectedPolicy(
                accepted: false, diagnostics: change.diagnostics,
                error: .init(code: "policy_rejected", message: "policy has \(errors) error\(errors == 1 ? "" : "s")")),
            status: .unprocessableContent)
    }

    // MARK: Helpers

    /// A path segment, percent-decoded and bounded; control characters are refused.
    static func pathParameter(_ context: ServerContext, _ name: String, maxBytes: Int) throws -> String {
        guard let raw = context.parameters.get(name), let value = raw.removingPercentEncoding else {
            throw APIError.invalidField(name, "`\(name)` in the path is not valid percent-encoded UTF-8")
        }
        guard (1...maxBytes).contains(value.utf8.count) else {
            throw APIError.invalidField(name, "`\(name)` in the path must be 1 to \(maxBytes) bytes")
        }
        guard !RequestContext.hasControlCharacter(value) else {
            throw APIError.invalidField(name, "`\(name)` in the path has control characters")
        }
        return value
    }

    /// The `user` path segment in its one form (``RiskGateEngine/UserID/canonical(_:)``), as a request body's `user`.
    static func userParameter(_ context: ServerContext) throws -> String {
        let raw = try pathParameter(context, "user", maxBytes: 4 * RiskGateEngine.UserID.maxBytes)
        do {
            return try RiskGateEngine.UserID.canonical(raw)
        } catch {
            throw APIError.invalidField("user", "`user` in the path \(error.message)")
        }
    }

    /// A boolean query flag: absent, `true`/`false`, `1`/`0`.
    static func flag(_ value: String?, name: String) throws -> Bool {
        switch value {
        case nil, "false", "0": return false
        case "true", "1", "": return true
        default: throw APIError.invalidField(name, "`\(name)` must be `true` or `false`")
        }
    }

    struct AccountReply: Encodable {
        var user: String
        var updated: [String]
    }

    struct RejectedPolicy: Encodable {
        var accepted: Bool
        var diagnostics: [PolicyDiagnostic]
        var error: APIError.Body.Detail
    }
}
