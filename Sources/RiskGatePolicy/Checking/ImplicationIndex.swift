/// Earlier rules' conditions filed so that the rules a condition might imply are found without
/// trying each one (the shadowing check's question: does some earlier rule match every request
/// this one would?).
///
/// A conjunct `x` implies a conjunct `y` only if `x` mentions every variable `y` mentions, and, where
/// `y` requires a variable to be one of a set of strings (`request.action == "login"`), `x` requires
/// it to be one of a subset. So each satisfiable conjunct of an indexed condition is filed under its
/// variables and, when it has such a literal, under each of its values (of the literal on the first
/// variable by name); a query looks up every subset of its first satisfiable conjunct's variables.
/// The answer is a superset of the implied conditions: the caller still checks each candidate, so
/// the diagnostics are those of comparing every pair.
/// - Complexity: a query costs 2^v look-ups for a conjunct of v variables (v above 12 lists every
///   earlier condition instead), plus the candidates found.
struct ImplicationIndex {
    private struct Key: Hashable {
        var variables: [String]
        var anchor: String?
        var value: String?
    }

    private var entries: [Key: [Int]] = [:]
    private var all: [Int] = []
    static let maxVariables = 12

    /// Files `condition` under `id`; ids must be inserted in increasing order.
    mutating func insert(_ id: Int, _ condition: ConditionSpace.DNF) {
        all.append(id)
        for y in condition where !y.unsatisfiable {
            let variables = Self.variables(y)
            let anchored = y.positives.keys.sorted().first { v in
                if case .values(_, complement: false)? = y.positives[v] { true } else { false }
            }
            guard let anchor = anchored, case .values(let values, _)? = y.positives[anchor] else {
                Self.append(id, to: &entries[Key(variables: variables), default: []])
                continue
            }
            for value in values { Self.append(id, to: &entries[Key(variables: variables, anchor: anchor, value: value), default: []]) }
        }
    }

    /// Appends to `out` the ids below `limit` whose conditions `condition` might imply (perhaps
    /// more than once, in no particular order).
    func candidates(implied condition: ConditionSpace.DNF, before limit: Int, into out: inout [Int]) {
        guard let x = condition.first(where: { !$0.unsatisfiable }) else { return }
        let variables = Self.variables(x)
        func add(_ ids: [Int]?) {
            for id in ids ?? [] {
                guard id < limit else { break }
                out.append(id)
            }
        }
        guard variables.count <= Self.maxVariables else { return add(all) }
        // The string-set literals `x` could meet an anchor with: any one value of each will do.
        var anchors: [(variable: String, value: String)] = []
        for (v, d) in x.positives {
            if case .values(let set, complement: false) = d, let value = set.min() { anchors.append((v, value)) }
        }
        var subset: [String] = []
        subset.reserveCapacity(variables.count)
        for mask in 0..<(1 << variables.count) {
            subset.removeAll(keepingCapacity: true)
            for (bit, v) in variables.enumerated() where mask & (1 << bit) != 0 { subset.append(v) }
            add(entries[Key(variables: subset)])
            for anchor in anchors where subset.contains(anchor.variable) {
                add(entries[Key(variables: subset, anchor: anchor.variable, value: anchor.value)])
            }
        }
    }

    /// The variables a conjunct mentions, sorted.
    private static func variables(_ c: ConditionSpace.Conjunct) -> [String] {
        Set(c.positives.keys).union(c.negatives.keys).sorted()
    }

    private static func append(_ id: Int, to list: inout [Int]) {
        if list.last != id { list.append(id) }
    }
}
