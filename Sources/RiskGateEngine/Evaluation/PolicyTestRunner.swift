import Foundation
import RiskGatePolicy

/// Runs policy test files: YAML with `policy:` (relative to the test file) and `cases:` of
/// `{name, history?, context, expect: {outcome, rule?, score?, band?}}` (also `expected:`, or the
/// expectations written in the case itself).
///
/// The decide closure is pluggable so the full engine (signals from stored state) can stand in for
/// the default, which fills signals from each request alone (``RequestSignals``) and ignores history.
public struct PolicyTestRunner: Sendable {
    /// Decides one case: the policy, earlier events of the case (oldest first), and the request.
    public typealias Decide = @Sendable (CompiledPolicy, _ history: [RequestContext], _ context: RequestContext) throws -> Decision

    public var decide: Decide

    public init(decide: @escaping Decide = PolicyTestRunner.requestOnly) {
        self.decide = decide
    }

    /// Fills signals from the request only and evaluates.
    public static let requestOnly: Decide = { policy, _, context in
        var signals = SignalValues()
        try RequestSignals.fill(context, into: &signals)
        var evaluation = Evaluation()
        policy.evaluate(&signals, into: &evaluation)
        return policy.decision(id: context.id ?? "test", signals: signals, evaluation: evaluation, explain: false)
    }

    /// The outcome of one case.
    public struct CaseResult: Sendable {
        public var name: String
        /// Empty when the case passed.
        public var failures: [String]
        public var decision: Decision?
        public var passed: Bool { failures.isEmpty }
    }

    /// The outcome of one test file.
    public struct FileResult: Sendable {
        public var file: String
        /// Problems reading the test file or compiling its policy (the cases did not run).
        public var diagnostics: [Diagnostic]
        public var cases: [CaseResult]
        /// The policy the cases ran against (its path as resolved), when it compiled.
        public var policy: TestedPolicy? = nil
        public var passed: Bool { !diagnostics.contains { $0.severity == .error } && cases.allSatisfy(\.passed) }
    }

    /// A policy under test and the rules its cases reached, for `riskgate test --coverage`.
    public struct TestedPolicy: Sendable, Hashable {
        /// The policy file, as the test file names it resolved against the test file's folder.
        public var path: String
        /// Every decide rule (including groups) and every score rule, in policy order.
        public var decideRules: [String]
        public var scoreRules: [String]
        /// Decide rules on some case's decision path, and score rules that gave some case points.
        public var covered: Set<String>
    }

    /// Runs every case of a test file.
    public func run(path: String) -> FileResult {
        guard let data = FileManager.default.contents(atPath: path), let source = String(data: data, encoding: .utf8) else {
            return FileResult(file: path, diagnostics: [Diagnostic(code: DiagnosticCode.unreadableFile.rawValue, severity: .error,
                                                                   message: "file cannot be read", file: path, line: 1, column: 1,
                                                                   help: "check that the path exists, is readable and is UTF-8")], cases: [])
        }
        var diagnostics = DiagnosticBag(file: path, source: source)
        let text = SourceText(source)
        guard let root = YAMLReader.read(source, text: text, diagnostics: &diagnostics) else {
            return FileResult(file: path, diagnostics: diagnostics.sorted(), cases: [])
        }
        func fail(_ message: String, _ node: YAMLNode, help: String? = nil) -> FileResult {
            diagnostics.error(.wrongShape, message, at: node.position, help: help)
            return FileResult(file: path, diagnostics: diagnostics.sorted(), cases: [])
        }
        if root.isNull {
            diagnostics.error(.emptyDocument, "test file is empty", at: root.position,
                              help: "give `policy: PATH` (relative to the test file) and `cases:`, a list of `{name, context, expect}`")
            return FileResult(file: path, diagnostics: diagnostics.sorted(), cases: [])
        }
        guard let policyNode = root["policy"], let policyPath = policyNode.scalar else {
            return fail("test file needs `policy: PATH` (relative to the test file)", root)
        }
        guard let caseNodes = root["cases"]?.sequence else {
            return fail("test file needs `cases:`, a list of `{name, context, expect}`", root)
        }
        if caseNodes.isEmpty, let node = root["cases"] {
            diagnostics.error(.invalidValue, "test file has no cases", at: node.position,
                              help: "add cases such as `- { name: ..., context: { user: u-1 }, expect: { outcome: passive } }`")
        }
        for entry in root.mapping ?? [] where !["policy", "cases"].contains(entry.name) {
            diagnostics.error(.unknownKey, "unknown key `\(entry.name)` in a test file", at: entry.key.position,
                              help: Suggestions.didYouMean(entry.name, in: ["policy", "cases"]))
        }
        let directory = (path as NSString).deletingLastPathComponent
        let resolved = policyPath.hasPrefix("/") ? policyPath : ((directory.isEmpty ? "." : directory) as NSString).appendingPathComponent(policyPath)
        let compiled = PolicyCompiler.compile(path: (resolved as NSString).standardizingPath)
        guard let policy = compiled.policy else {
            return FileResult(file: path, diagnostics: diagnostics.sorted() + compiled.diagnostics, cases: [])
        }
        var results: [CaseResult] = []
        var names: [String: Int] = [:]
        for (n, node) in caseNodes.enumerated() {
            // Cases are reported by name, so two with one name could not be told apart.
            if let name = node["name"]?.scalar, let first = names[name] {
                results.append(CaseResult(name: name, failures: ["line \(node.position.line): case name `\(name)` is already used by the case at line \(first); names must be unique"],
                                          decision: nil))
                continue
            }
            if let name = node["name"]?.scalar { names[name] = node.position.line }
            results.append(runCase(node, number: n + 1, policy: policy))
        }
        var tested = TestedPolicy(path: (resolved as NSString).standardizingPath, decideRules: policy.ruleIDs,
                                  scoreRules: policy.scoreRuleIDs, covered: [])
        for decision in results.compactMap(\.decision) {
            // The path names the groups and the rule that matched; contributions the score rules that
            // fired. The lock guard's rules and the model's points are not the policy's own.
            tested.covered.formUnion(decision.path)
            tested.covered.insert(decision.rule)
            tested.covered.formUnion(decision.contributions.map(\.id))
        }
        tested.covered.formIntersection(tested.decideRules + tested.scoreRules)
        return FileResult(file: path, diagnostics: diagnostics.sorted(), cases: results, policy: tested)
    }

    private func runCase(_ node: YAMLNode, number: Int, policy: CompiledPolicy) -> CaseResult {
        let name = node["name"]?.scalar ?? "case \(number)"
        func failed(_ message: String, at place: YAMLNode? = nil) -> CaseResult {
            CaseResult(name: name, failures: ["line \((place ?? node).position.line): \(message)"], decision: nil)
        }
        guard let entries = node.mapping else { return failed("a case must be a mapping") }
        for entry in entries where !Self.caseKeys.contains(entry.name) {
            return failed("unknown key `\(entry.name)` in a case"
                          + (Suggestions.didYouMean(entry.name, in: Self.caseKeys).map { " (\($0))" } ?? ""), at: entry.key)
        }
        guard let contextNode = node["context"] else { return failed("case has no `context`") }
        let expect: [Expectation]
        switch Self.expectations(of: node) {
        case .success(let found): expect = found
        case .failure(let problem): return failed(problem.message, at: problem.node)
        }
        let context: RequestContext
        var history: [RequestContext] = []
        do {
            context = try PolicyTestRunner.request(contextNode, field: "context")
        } catch {
            return failed(error.description, at: contextNode)
        }
        if let historyNode = node["history"], !historyNode.isNull {
            guard let items = historyNode.sequence else {
                return failed("`history` must be a list of earlier requests, not \(historyNode.shapeName)", at: historyNode)
            }
            for (i, item) in items.enumerated() {
                do {
                    history.append(try PolicyTestRunner.request(item, field: "history[\(i)]"))
                } catch {
                    return failed(error.description, at: item)
                }
            }
        }
        let decision: Decision
        do {
            decision = try decide(policy, history, context)
        } catch {
            return failed("cannot decide: \(error)")
        }
        var failures: [String] = []
        for entry in expect {
            let expected = entry.value.scalar ?? ""
            switch entry.name {
            case "outcome":
                if decision.outcome.rawValue != expected { failures.append("outcome: expected `\(expected)`, got `\(decision.outcome.rawValue)` (rule `\(decision.rule)`)") }
            case "rule":
                if decision.rule != expected { failures.append("rule: expected `\(expected)`, got `\(decision.rule)`") }
            case "band":
                if decision.band != expected { failures.append("band: expected `\(expected)`, got `\(decision.band)`") }
            case "score":
                if let v = Double(expected) {
                    if abs(decision.score - v) > 1e-6 { failures.append("score: expected \(Value.format(v)), got \(Value.format(decision.score))") }
                } else {
                    failures.append("score: `\(expected)` is not a number")
                }
            default:
                failures.append("unknown expectation `\(entry.name)` (use \(Self.expectationKeys.joined(separator: ", ")))")
            }
        }
        return CaseResult(name: name, failures: failures.map { "line \(node.position.line): \($0)" }, decision: decision)
    }

    /// The keys a case may have: the expectations may sit under `expect` (or `expected`), or
    /// directly in the case (`outcome: otp`), as people write "a context and its expected outcome".
    static let caseKeys = ["name", "history", "context", "expect", "expected"] + expectationKeys
    /// What a case can expect of its decision.
    static let expectationKeys = ["outcome", "rule", "score", "band"]

    /// A case's expectations wherever it gives them, or why they cannot be used.
    ///
    /// `expect: {outcome: otp, rule: medium}`, the same under `expected:`, `expect: otp` (the
    /// outcome alone), or `outcome:`/`rule:`/`score:`/`band:` in the case itself; one of these
    /// forms per case, so no expectation is silently overridden.
    static func expectations(of node: YAMLNode) -> Result<[Expectation], CaseProblem> {
        let entries = node.mapping ?? []
        let wrappers = entries.filter { $0.name == "expect" || $0.name == "expected" }
        let inline = entries.filter { expectationKeys.contains($0.name) }
        if wrappers.count > 1 {
            return .failure(CaseProblem(message: "case has both `expect` and `expected`; give one", node: wrappers[1].key))
        }
        guard let wrapper = wrappers.first else {
            guard !inline.isEmpty else {
                return .failure(CaseProblem(message: "case has no `expect` mapping (e.g. `expect: { outcome: passive }`)", node: nil))
            }
            return .success(inline.map { Expectation(name: $0.name, value: $0.value) })
        }
        if let first = inline.first {
            return .failure(CaseProblem(message: "`\(first.name)` is given both in the case and under `\(wrapper.name)`; give it once, under `\(wrapper.name)`",
                                        node: first.key))
        }
        if wrapper.value.scalar != nil, !wrapper.value.isNull {
            // `expect: otp`: the outcome alone.
            return .success([Expectation(name: "outcome", value: wrapper.value)])
        }
        guard let expect = wrapper.value.mapping else {
            return .failure(CaseProblem(message: "`\(wrapper.name)` must be a mapping such as `{ outcome: otp, rule: medium }`, not \(wrapper.value.shapeName)",
                                        node: wrapper.value))
        }
        if expect.isEmpty {
            return .failure(CaseProblem(message: "`\(wrapper.name)` is empty, so the case would pass whatever the policy decides",
                                        node: wrapper.value))
        }
        return .success(expect.map { Expectation(name: $0.name, value: $0.value) })
    }

    /// One expectation of a case: `outcome`, `rule`, `score` or `band` (others are reported), and its value.
    struct Expectation {
        var name: String
        var value: YAMLNode
    }

    /// Why a case's expectations cannot be used, and where.
    struct CaseProblem: Error {
        var message: String
        var node: YAMLNode?
    }

    /// Why a case's `context` or `history` entry is not a request, naming the field.
    struct RequestError: Error, CustomStringConvertible {
        var description: String
    }

    /// A request from a YAML mapping; `field` (`context`, `history[2]`) names it in errors.
    ///
    /// `user` is required, as in the service: the full engine keys state by user, so a missing one
    /// would silently decide for another account than the history was recorded for.
    static func request(_ node: YAMLNode, field: String) throws(RequestError) -> RequestContext {
        guard let entries = node.mapping else {
            throw RequestError(description: "`\(field)` must be a mapping of request fields, not \(node.shapeName)")
        }
        guard entries.contains(where: { $0.name == "user" }) else {
            throw RequestError(description: "`\(field)` has no `user`; every request names its account, e.g. `user: u-1`")
        }
        // Read by the same parser as the service's bodies and replay's lines, so a case accepts
        // exactly the requests they do.
        var request: RequestContext
        do {
            var json = JSONWriter(escapesSlashes: false, capacity: 512)
            try json.json(node.jsonValue)
            request = try json.bytes.withUnsafeBytes { (bytes) throws(JSONBodyError) in try EventLineParser.parseRequest(bytes).context }
        } catch let error as JSONBodyError {
            throw RequestError(description: describe(error, in: field))
        } catch {
            throw RequestError(description: "`\(field)` cannot be read: \(error)")
        }
        do {
            try request.validate()
        } catch {
            // The message names the field within the request; name it within the case.
            let qualified = "`\(field).\(error.field)`"
            let message = error.message.replacingOccurrences(of: "`\(error.field)`", with: qualified)
            throw RequestError(description: message.contains(qualified) ? message : "\(qualified): \(message)")
        }
        return request
    }

    /// The reader's message with its field named within the case (`context.geo.lat`), in the
    /// words of YAML, which a test file is written in: a mapping, a list, text.
    private static func describe(_ error: JSONBodyError, in field: String) -> String {
        guard let name = error.field else { return "`\(field)` cannot be read: \(error.message)" }
        let qualified = "`\(field).\(name)`"
        if error.kind == .missing { return "\(qualified) is missing" }
        var message = error.message.replacingOccurrences(of: "`\(name)`", with: qualified)
        if !message.contains(qualified) { message = "\(qualified): \(message)" }
        for (json, yaml) in [("must be an object", "must be a mapping"), ("must be an array", "must be a list"),
                             ("must be a string", "must be text")] {
            message = message.replacingOccurrences(of: json, with: yaml)
        }
        return message
    }
}

extension YAMLNode {
    /// The node as JSON, resolving plain scalars as YAML's core schema does (null, booleans, numbers).
    var jsonValue: JSONValue {
        switch kind {
        case .scalar(let s, let style):
            guard style == .plain else { return .string(s) }
            if isNull { return .null }
            if s == "true" || s == "True" { return .bool(true) }
            if s == "false" || s == "False" { return .bool(false) }
            if let v = Double(s), v.isFinite, s.first != "+" || s.count > 1 { return .number(v) }
            return .string(s)
        case .sequence(let items): return .array(items.map(\.jsonValue))
        case .mapping(let entries):
            var object: [String: JSONValue] = [:]
            for e in entries { object[e.name] = e.value.jsonValue }
            return .object(object)
        }
    }
}
