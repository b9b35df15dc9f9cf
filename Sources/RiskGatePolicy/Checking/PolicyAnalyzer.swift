/// The `analyse` stage: finds what is wrong with a policy's logic rather than its text.
///
/// - a `decide` that can end without an outcome (error)
/// - rules that can never match because earlier rules cover them, or never hold (warnings)
/// - a friction ladder that goes backwards between sibling rules (warning)
/// - cycles in `on_failure` chains (error)
/// - a push approval with no fallback for accounts without a registered app device (warning)
package enum PolicyAnalyzer {
    package static func analyse(_ policy: CheckedPolicy, diagnostics d: inout DiagnosticBag) {
        checkCatchAll(policy, &d)
        checkReachability(policy, &d)
        checkOnFailure(policy.document, &d)
        checkPushFallback(policy.document, &d)
    }

    // MARK: Push

    /// Most accounts have no registered app at first; without a fallback they all go to `on_failure`.
    private static func checkPushFallback(_ document: PolicyDocument, _ d: inout DiagnosticBag) {
        guard !document.fallbacks.contains(where: { $0.replace == "push" }) else { return }
        for plan in document.pushPlans {
            d.warning(.pushWithoutFallback, "`\(plan.value.rawValue)` asks for a push approval but no fallback replaces `push`",
                      at: plan.position,
                      help: "accounts without a registered app device would go to `on_failure`; add e.g. "
                          + "`{ when: not account.has_push_device, replace: push, with: sms }` to `challenges.fallbacks`")
        }
    }

    // MARK: Catch-all

    private static func isAlways(_ rule: CheckedDecideRule) -> Bool {
        if rule.conditionFailed { return false }
        guard let when = rule.when else { return true }
        return when == .constant(.bool(true))
    }

    /// Whether some rule of the list decides for every request that reaches it.
    private static func alwaysDecides(_ rules: [CheckedDecideRule]) -> Bool {
        rules.contains { r in isAlways(r) && (r.outcome != nil || alwaysDecides(r.rules ?? [])) }
    }

    private static func checkCatchAll(_ policy: CheckedPolicy, _ d: inout DiagnosticBag) {
        let rules = policy.decide
        guard let last = rules.last, !alwaysDecides(rules) else { return }
        // A last rule whose condition had errors may well have been meant as the catch-all.
        if last.conditionFailed && last.when == nil && last.whenText == nil { return }
        d.error(.missingCatchAll, "no rule at the end of `decide` always matches, so some requests would get no outcome",
                at: last.position, help: "add `- { id: default, outcome: passive }` as the last rule")
    }

    // MARK: Reachability and the friction ladder

    private struct Node {
        var rule: CheckedDecideRule
        var parent: Int
        /// Effective condition: the rule's and all enclosing groups'; `nil` when unknown.
        var condition: ConditionSpace.DNF?
        var isLeaf: Bool
    }

    private static func checkReachability(_ policy: CheckedPolicy, _ d: inout DiagnosticBag) {
        let bands = policy.document.bands
        var nodes: [Node] = []
        func add(_ rules: [CheckedDecideRule], parent: Int, context: ConditionSpace.DNF?) {
            for rule in rules {
                var condition: ConditionSpace.DNF? = nil
                if let context, !rule.conditionFailed, let own = ConditionSpace.normalise(rule.when, bands: bands, lists: policy.lists) {
                    condition = ConditionSpace.and(context, own)
                }
                nodes.append(Node(rule: rule, parent: parent, condition: condition, isLeaf: rule.outcome != nil))
                let index = nodes.count - 1
                if let nested = rule.rules { add(nested, parent: index, context: condition) }
            }
        }
        add(policy.decide, parent: -1, context: [ConditionSpace.Conjunct([])])
        // The leaves of each level (a group's index, -1 for the top), in document order: a rule is
        // compared with these, not with every earlier rule (a 1,000-rule policy spent most of its
        // analysis filtering half a million pairs).
        var leavesByLevel: [Int: [Int]] = [:]
        for i in nodes.indices where nodes[i].isLeaf { leavesByLevel[nodes[i].parent, default: []].append(i) }
        // Within a level, only leaves that could shadow a rule are tried (see `ImplicationIndex`):
        // a flat 10,000-rule policy would otherwise compare fifty million pairs.
        var shadowIndex: [Int: ImplicationIndex] = [:]
        var ladderIndex: [Int: [LadderKey: [Int]]] = [:]
        for (level, leaves) in leavesByLevel {
            var index = ImplicationIndex()
            var ladder: [LadderKey: [Int]] = [:]
            for i in leaves {
                guard let condition = nodes[i].condition else { continue }
                index.insert(i, condition)
                for key in Set(condition.compactMap(LadderKey.init)) { ladder[key, default: []].append(i) }
            }
            shadowIndex[level] = index
            ladderIndex[level] = ladder
        }

        var reported = Set<Int>()
        for j in nodes.indices {
            guard let condition = nodes[j].condition else { continue }
            // Inside a group already reported, stay quiet.
            var ancestor = nodes[j].parent
            var quiet = false
            while ancestor >= 0 {
                if reported.contains(ancestor) { quiet = true; break }
                ancestor = nodes[ancestor].parent
            }
            if quiet { reported.insert(j); continue }
            if ConditionSpace.isUnsatisfiable(condition) {
                d.warning(.neverMatches, "rule `\(nodes[j].rule.id)` can never match: its condition is never true",
                          at: nodes[j].rule.position, help: "check the comparisons in its `when` (and its groups')")
                reported.insert(j)
                continue
            }
            // Earlier leaves at this rule's level or an enclosing one (leaves inside earlier sibling
            // groups are not considered: cheaper, and the analysis stays sound, only less complete)
            // that the index cannot rule out.
            var earlierLeaves: [Int] = []
            var level = nodes[j].parent
            while true {
                shadowIndex[level]?.candidates(implied: condition, before: j, into: &earlierLeaves)
                if level < 0 { break }
                level = nodes[level].parent
            }
            earlierLeaves.sort()
            var previous = -1
            for i in earlierLeaves where i != previous {
                previous = i
                guard let earlier = nodes[i].condition, ConditionSpace.implies(condition, earlier) else { continue }
                let why = nodes[i].rule.when == nil && nodes[i].parent < 0 ? "rule `\(nodes[i].rule.id)` (line \(nodes[i].rule.position.line)) always matches"
                    : "rule `\(nodes[i].rule.id)` (line \(nodes[i].rule.position.line)) matches every request it would"
                d.warning(.shadowedRule, "rule `\(nodes[j].rule.id)` can never match: \(why)", at: nodes[j].rule.position,
                          help: "move `\(nodes[j].rule.id)` above `\(nodes[i].rule.id)`, narrow `\(nodes[i].rule.id)`, or remove `\(nodes[j].rule.id)`")
                reported.insert(j)
                break
            }
        }

        // Friction ladder between sibling leaves: only those with a conjunct equal but for the score can go backwards.
        for j in nodes.indices where nodes[j].isLeaf && !reported.contains(j) {
            guard let later = nodes[j].condition, let laterOutcome = nodes[j].rule.outcome,
                  let ladder = ladderIndex[nodes[j].parent] else { continue }
            var siblings: [Int] = []
            for key in Set(later.compactMap(LadderKey.init)) {
                for i in ladder[key] ?? [] {
                    guard i < j else { break }
                    siblings.append(i)
                }
            }
            siblings.sort()
            var previous = -1
            for i in siblings where i != previous {
                previous = i
                guard let earlier = nodes[i].condition, let earlierOutcome = nodes[i].rule.outcome, earlierOutcome < laterOutcome,
                      let (high, low) = ladderBackwards(earlier, later) else { continue }
                d.warning(.ladderBackwards,
                          "friction goes backwards: rule `\(nodes[i].rule.id)` gives `\(earlierOutcome.rawValue)` to scores \(high.text), but rule `\(nodes[j].rule.id)` gives more friction (`\(laterOutcome.rawValue)`) to lower scores (\(low.text))",
                          at: nodes[i].rule.position,
                          help: "put the rule with the higher outcome first, or swap their outcomes")
                break
            }
        }
    }

    /// What a conjunct has besides its score, for the friction ladder: two conjuncts can only be
    /// a ladder going backwards when these are equal and both bound the score by one interval.
    private struct LadderKey: Hashable {
        var positives: [String: ConditionSpace.Domain]
        var negatives: [String: [ConditionSpace.Domain]]

        init?(_ c: ConditionSpace.Conjunct) {
            let score = Signal.score.name
            guard !c.unsatisfiable, case .intervals(let range)? = c.positives[score], range.count == 1 else { return nil }
            positives = c.positives
            positives[score] = nil
            negatives = c.negatives
        }
    }

    /// Score intervals of an earlier and a later rule when the earlier needs a strictly higher score
    /// under otherwise identical conditions.
    private static func ladderBackwards(_ a: ConditionSpace.DNF, _ b: ConditionSpace.DNF) -> (ConditionSpace.Interval, ConditionSpace.Interval)? {
        let score = Signal.score.name
        for x in a where !x.unsatisfiable {
            for y in b where !y.unsatisfiable {
                guard case .intervals(let xs)? = x.positives[score], case .intervals(let ys)? = y.positives[score],
                      xs.count == 1, ys.count == 1 else { continue }
                // The same literals apart from the score (compared in place: copying both maps to
                // drop the score was most of a large policy's ladder check).
                guard x.positives.count == y.positives.count, x.negatives == y.negatives,
                      x.positives.allSatisfy({ $0.key == score || y.positives[$0.key] == $0.value }) else { continue }
                let high = xs[0], low = ys[0]
                if high.lo > low.lo { return (high, low) }
            }
        }
        return nil
    }

    // MARK: on_failure

    private static func checkOnFailure(_ document: PolicyDocument, _ d: inout DiagnosticBag) {
        var next: [Outcome: Outcome] = [:]
        for link in document.onFailure { next[link.from] = link.to.value }
        var reportedCycles = Set<Set<Outcome>>()
        for link in document.onFailure {
            var chain = [link.from]
            var current = link.to.value
            while let following = next[current], !chain.contains(current) {
                chain.append(current)
                current = following
            }
            guard current == link.from else { continue }
            let members = Set(chain)
            guard reportedCycles.insert(members).inserted else { continue }
            let path = (chain + [link.from]).map { "`\($0.rawValue)`" }.joined(separator: " → ")
            d.error(.onFailureCycle, "`on_failure` chain loops: \(path)", at: link.to.position,
                    help: "end the chain with `agent_escalation`, `deny` or `none`")
        }
    }
}
