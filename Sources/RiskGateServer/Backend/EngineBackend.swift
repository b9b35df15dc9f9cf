import Foundation
import NIOPosix
import RiskGate
import RiskGateEngine
import RiskGatePolicy

/// The real backend: the core `DecisionEngine` over a state store, with policy hot swap.
///
/// A new policy is compiled first; with errors it is rejected with its diagnostics and the active
/// policy stays in force, otherwise it is swapped in atomically (requests in flight finish on the
/// old one). A decision suspends its task while the store commits; every other engine call that
/// can block (a synchronous commit, password hashing, compiling a policy) runs on a blocking-work
/// thread, so it never holds one of the few threads that run request tasks.
public final class EngineBackend: DecisionBackend, @unchecked Sendable {
    public let engine: DecisionEngine
    /// Folder relative `file:` lists in a policy sent over HTTP are resolved against.
    let baseDirectory: String?
    let swapLock = NSLock()
    private var shadowSource: String?
    /// Threads for decisions over a store that waits on the network; `nil` when the store answers
    /// from local files (decisions then run on the request's task and suspend only to commit).
    private let storeThreads: NIOThreadPool?

    /// - Parameter storeWaitsOnNetwork: the engine's store blocks on a database server (PostgreSQL):
    ///   every decision then runs on a pool of threads of its own, so request tasks and event loops
    ///   never wait for the database.
    public init(engine: DecisionEngine, baseDirectory: String?, storeWaitsOnNetwork: Bool = false) {
        self.engine = engine
        self.baseDirectory = baseDirectory
        if storeWaitsOnNetwork {
            // Each thread waits on one round trip at a time; enough of them to keep the
            // database's connections (16 a process) busy.
            let pool = NIOThreadPool(numberOfThreads: 32)
            pool.start()
            storeThreads = pool
        } else {
            storeThreads = nil
        }
    }

    public func auditHead() async throws -> AuditHead? {
        let store = engine.store
        return try await BlockingWork.run { try AuditHead(of: store) }
    }

    public func auditRecords(after id: Int64, limit: Int) async throws -> [AuditRecord] {
        let store = engine.store
        return try await BlockingWork.run { try store.auditEntries(after: id, limit: limit) }
    }

    public func auditExportedThrough() async throws -> Int64 {
        let store = engine.store
        return try await BlockingWork.run { try AuditExport.exportedThrough(store) }
    }

    public func markAuditExported(through id: Int64) async throws {
        let store = engine.store
        try await BlockingWork.run { try AuditExport.markExported(through: id, in: store) }
    }

    public func decide(_ request: RequestContext, explain: Bool) async throws -> Decision {
        do {
            if let storeThreads {
                let engine = engine
                return try await storeThreads.runIfActive { try engine.decide(request, explain: explain) }
            }
            return try await engine.decide(request, explain: explain)
        } catch let error as StoreError {
            throw BackendError.unavailable("state store: \(error.code)")
        }
    }

    public func verify(challengeID: String, step: String, response: String) async throws -> VerificationReply {
        try await verify(challengeID: challengeID, step: step, response: response, push: nil)
    }

    public func verify(challengeID: String, step: String, response: String, push: PushAnswer?) async throws -> VerificationReply {
        do {
            let engine = engine
            let result = try await BlockingWork.run {
                try engine.verify(challengeID: challengeID, step: step, response: response, push: push)
            }
            guard let mapped = VerificationReply.Result(rawValue: result.result.rawValue) else {
                throw BackendError.invalid(field: "step", message: "unexpected verification result `\(result.result.rawValue)`")
            }
            return VerificationReply(result: mapped, nextStep: result.nextStep, outcome: result.outcome,
                                     attemptsRemaining: result.attemptsLeft, retryAfterS: result.retryAfterS,
                                     lockedAccount: result.lockedAccount)
        } catch let error as ChallengeError {
            switch error.code {
            case .notFound: throw BackendError.notFound("challenge `\(challengeID)`")
            case .conflict: throw BackendError.conflict(error.message)
            default: throw BackendError.invalid(field: error.field, message: error.message)
            }
        } catch let error as StoreError {
            throw BackendError.unavailable("state store: \(error.code)")
        }
    }

    public func feedback(decisionID: String, label: FeedbackLabel) async throws {
        do {
            let engine = engine
            try await BlockingWork.run { try engine.feedback(decisionID: decisionID, label: label.rawValue) }
        } catch is FeedbackError {
            throw BackendError.notFound("decision `\(decisionID)`")
        } catch let error as StoreError {
            throw BackendError.unavailable("state store: \(error.code)")
        }
    }

    public func upsertAccount(user: String, _ update: AccountUpsert) async throws {
        let core = RiskGate.AccountUpdate(
            homeCountry: update.homeCountry, phone: update.phone, email: update.email,
            kba: update.kba?.map { .init(question: $0.question, answer: $0.answer) },
            secret: update.secret, trustedDevices: update.trustedDevices,
            pushKey: update.pushKey, pushDeviceID: update.pushDeviceID)
        do {
            let engine = engine
            _ = try await BlockingWork.run { try engine.updateAccount(user: user, core) }
        } catch let error as AccountError {
            throw BackendError.invalid(field: error.field, message: error.message)
        } catch let error as StoreError {
            throw BackendError.unavailable("state store: \(error.code)")
        }
    }

    public func activePolicy() async -> PolicySnapshot {
        let policy = engine.policy
        return PolicySnapshot(name: policy.name, hash: policy.hash, source: engine.policySource)
    }

    public func shadowPolicy() async -> PolicySnapshot? {
        guard let policy = engine.shadowPolicy else { return nil }
        return PolicySnapshot(name: policy.name, hash: policy.hash, source: swapLock.withLock { shadowSource } ?? "")
    }

    public func replacePolicy(source: String) async -> PolicyChange {
        let result = await compile(source, file: "policy.yaml")
        guard let policy = result.policy else { return PolicyChange(accepted: false, diagnostics: result.diagnostics.map(Self.convert)) }
        engine.replacePolicy(policy, source: source)
        return PolicyChange(accepted: true, policy: policy.reference, diagnostics: result.diagnostics.map(Self.convert))
    }

    public func replaceShadow(source: String) async -> PolicyChange {
        let result = await compile(source, file: "shadow.yaml")
        guard let policy = result.policy else { return PolicyChange(accepted: false, diagnostics: result.diagnostics.map(Self.convert)) }
        swapLock.withLock { shadowSource = source }
        engine.replaceShadow(policy, source: source)
        return PolicyChange(accepted: true, policy: policy.reference, diagnostics: result.diagnostics.map(Self.convert))
    }

    public func shutdown() async {
        let engine = engine
        _ = try? await BlockingWork.run { try engine.flush() }
    }

    /// Compiles a policy sent over HTTP on a blocking-work thread (a large policy takes milliseconds).
    private func compile(_ source: String, file: String) async -> CompileResult {
        let base = baseDirectory
        let work: @Sendable () -> CompileResult = { PolicyCompiler.compile(source: source, file: file, baseDirectory: base, confineListFiles: true) }
        // The pool only refuses work while the process shuts down; compile here then.
        return (try? await BlockingWork.run(work)) ?? work()
    }

    static func convert(_ d: Diagnostic) -> PolicyDiagnostic {
        PolicyDiagnostic(code: d.code, severity: d.severity.rawValue, message: d.message, file: d.file,
                         line: d.line, column: d.column, help: d.help)
    }
}
