/// Reasoning over conditions for the analyses: a condition becomes a disjunction of conjunctions
/// of literals, each literal saying that a variable (a signal, or an opaque sub-condition) is
/// available and lies in a domain (numeric intervals, or a set of strings), or is not.
///
/// The reasoning is sound but incomplete: when it says one condition implies another, it does;
/// when it cannot tell, it says no (so warnings are never false alarms).
package enum ConditionSpace {
    package struct Interval: Sendable, Hashable {
        package var lo: Double, hi: Double
        package var loOpen: Bool, hiOpen: Bool

        var isEmpty: Bool { lo > hi || (lo == hi && (loOpen || hiOpen)) }

        func intersect(_ o: Interval) -> Interval {
            var r = self
            if o.lo > r.lo || (o.lo == r.lo && o.loOpen) { r.lo = o.lo; r.loOpen = o.loOpen }
            if o.hi < r.hi || (o.hi == r.hi && o.hiOpen) { r.hi = o.hi; r.hiOpen = o.hiOpen }
            return r
        }

        func contains(_ o: Interval) -> Bool {
            if o.isEmpty { return true }
            let loOK = lo < o.lo || (lo == o.lo && (!loOpen || o.loOpen))
            let hiOK = hi > o.hi || (hi == o.hi && (!hiOpen || o.hiOpen))
            return loOK && hiOK
        }

        var text: String {
            if lo == -.infinity { return "\(hiOpen ? "<" : "<=") \(Value.format(hi))" }
            if hi == .infinity { return "\(loOpen ? ">" : ">=") \(Value.format(lo))" }
            return "\(loOpen ? "(" : "[")\(Value.format(lo)), \(Value.format(hi))\(hiOpen ? ")" : "]")"
        }
    }

    package enum Domain: Sendable, Hashable {
        /// A union of intervals.
        case intervals([Interval])
        /// A finite set of strings, or (complement) everything but them.
        case values(Set<String>, complement: Bool)

        var isEmpty: Bool {
            switch self {
            case .intervals(let list): list.allSatisfy(\.isEmpty)
            case .values(let set, let complement): !complement && set.isEmpty
            }
        }

        func intersect(_ o: Domain) -> Domain? {
            switch (self, o) {
            case (.intervals(let a), .intervals(let b)):
                var result: [Interval] = []
                for x in a { for y in b { let z = x.intersect(y); if !z.isEmpty { result.append(z) } } }
                return .intervals(result)
            case (.values(let a, let ca), .values(let b, let cb)):
                switch (ca, cb) {
                case (false, false): return .values(a.intersection(b), complement: false)
                case (false, true): return .values(a.subtracting(b), complement: false)
                case (true, false): return .values(b.subtracting(a), complement: false)
                case (true, true): return .values(a.union(b), complement: true)
                }
            default: return nil
            }
        }

        func isSubset(of o: Domain) -> Bool {
            switch (self, o) {
            case (.intervals(let a), .intervals(let b)):
                return a.allSatisfy { x in x.isEmpty || b.contains { $0.contains(x) } }
            case (.values(let a, let ca), .values(let b, let cb)):
                switch (ca, cb) {
                case (false, false): return a.isSubset(of: b)
                case (false, true): return a.isDisjoint(with: b)
                case (true, false): return false
                case (true, true): return b.isSubset(of: a)
                }
            default: return false
            }
        }
    }

    package struct Literal: Sendable, Hashable {
        package var variable: String
        package var domain: Domain
        package var positive: Bool
    }

    /// A conjunction, normalised: positive literals on one variable are intersected.
    package struct Conjunct: Sendable, Hashable {
        package var positives: [String: Domain] = [:]
        package var negatives: [String: [Domain]] = [:]
        package var unsatisfiable = false
        /// A Bloom mask of the variables mentioned: a conjunct can only imply one whose variables it mentions too.
        package var mask: UInt64 = 0

        init(_ literals: [Literal]) {
            for l in literals { mask |= 1 << UInt64(UInt(bitPattern: l.variable.hashValue) % 64) }
            for l in literals {
                if l.positive {
                    if let existing = positives[l.variable] {
                        if let d = existing.intersect(l.domain) { positives[l.variable] = d } else { unsatisfiable = true }
                    } else {
                        positives[l.variable] = l.domain
                    }
                } else {
                    negatives[l.variable, default: []].append(l.domain)
                }
            }
            for (v, d) in positives where d.isEmpty { _ = v; unsatisfiable = true }
            for (v, list) in negatives {
                if let p = positives[v], list.contains(where: { p.isSubset(of: $0) }) { unsatisfiable = true }
            }
        }

        /// Whether this is the empty conjunction, which every request satisfies.
        var isTrue: Bool { positives.isEmpty && negatives.isEmpty && !unsatisfiable }

        /// Whether every request satisfying this conjunct satisfies `other`.
        func implies(_ other: Conjunct) -> Bool {
            if unsatisfiable { return true }
            if other.unsatisfiable || other.mask & ~mask != 0 { return false }
            for (v, d) in other.positives {
                guard let mine = positives[v], mine.isSubset(of: d) else { return false }
            }
            for (v, list) in other.negatives {
                for d in list {
                    let byPositive = positives[v].map { p in p.intersect(d)?.isEmpty ?? false } ?? false
                    let byNegative = negatives[v]?.contains { d.isSubset(of: $0) } ?? false
                    if !byPositive && !byNegative { return false }
                }
            }
            return true
        }
    }

    /// A condition in disjunctive normal form; `nil` from ``normalise`` when too large to reason about.
    package typealias DNF = [Conjunct]

    static let maxConjuncts = 64

    /// The DNF of a condition (`nil` condition: always true).
    package static func normalise(_ e: TypedExpression?, bands: ScoreBands, lists: ResolvedLists) -> DNF? {
        guard let e else { return [Conjunct([])] }
        guard let raw = dnf(e, positive: true, bands: bands, lists: lists) else { return nil }
        return raw.map(Conjunct.init)
    }

    /// Conjunction of two DNFs.
    package static func and(_ a: DNF, _ b: DNF) -> DNF? {
        if a.count * b.count > maxConjuncts { return nil }
        var result: DNF = []
        for x in a { for y in b { result.append(merge(x, y)) } }
        return result
    }

    private static func merge(_ x: Conjunct, _ y: Conjunct) -> Conjunct {
        // `true` and y is y (the context of every top-level rule is `true`).
        if x.isTrue { return y }
        if y.isTrue { return x }
        var literals: [Literal] = []
        for c in [x, y] {
            for (v, d) in c.positives { literals.append(Literal(variable: v, domain: d, positive: true)) }
            for (v, list) in c.negatives { for d in list { literals.append(Literal(variable: v, domain: d, positive: false)) } }
        }
        var merged = Conjunct(literals)
        merged.mask = x.mask | y.mask
        if x.unsatisfiable || y.unsatisfiable { merged.unsatisfiable = true }
        return merged
    }

    /// Whether `a` implies `b` (every satisfiable conjunct of `a` implies some conjunct of `b`).
    package static func implies(_ a: DNF, _ b: DNF) -> Bool {
        a.allSatisfy { x in x.unsatisfiable || b.contains { x.implies($0) } }
    }

    /// Whether no request satisfies the condition.
    package static func isUnsatisfiable(_ a: DNF) -> Bool { a.allSatisfy(\.unsatisfiable) }

    private static func dnf(_ e: TypedExpression, positive: Bool, bands: ScoreBands, lists: ResolvedLists) -> [[Literal]]? {
        switch e {
        case .constant(let v):
            return v.isTrue == positive ? [[]] : []
        case .not(let a):
            return dnf(a, positive: !positive, bands: bands, lists: lists)
        case .and(let a, let b), .or(let a, let b):
            let isAnd: Bool = if case .and = e { positive } else { !positive }
            guard let x = dnf(a, positive: positive, bands: bands, lists: lists),
                  let y = dnf(b, positive: positive, bands: bands, lists: lists) else { return nil }
            if !isAnd { return x.count + y.count > maxConjuncts ? nil : x + y }
            if x.count * y.count > maxConjuncts { return nil }
            var result: [[Literal]] = []
            for p in x { for q in y { result.append(p + q) } }
            return result
        default:
            return [[literal(e, positive: positive, bands: bands, lists: lists)]]
        }
    }

    private static func literal(_ e: TypedExpression, positive: Bool, bands: ScoreBands, lists: ResolvedLists) -> Literal {
        func opaque() -> Literal { Literal(variable: e.canonical, domain: .values(["true"], complement: false), positive: positive) }
        switch e {
        case .signal(let s):
            return Literal(variable: s.name, domain: .values(["true"], complement: false), positive: positive)
        case .compare(let op, let l, let r):
            var op = op
            var signal: Signal
            var constant: Value
            if case .signal(let s) = l, let c = r.constantValue { signal = s; constant = c }
            else if case .signal(let s) = r, let c = l.constantValue { signal = s; constant = c; op = op.swapped }
            else { return opaque() }
            if signal == .scoreBand, case .string(let band) = constant, op == .equal || op == .notEqual {
                let range: Interval? = switch band {
                case "high": Interval(lo: bands.high, hi: .infinity, loOpen: false, hiOpen: true)
                case "medium": Interval(lo: bands.medium, hi: bands.high, loOpen: false, hiOpen: true)
                case "low": Interval(lo: -.infinity, hi: bands.medium, loOpen: true, hiOpen: true)
                default: nil
                }
                guard let range else { return opaque() }
                let domain: Domain = op == .equal ? .intervals([range])
                    : .intervals([Interval(lo: -.infinity, hi: range.lo, loOpen: true, hiOpen: true),
                                  Interval(lo: range.hi, hi: .infinity, loOpen: range.hiOpen ? false : true, hiOpen: true)])
                return Literal(variable: Signal.score.name, domain: domain, positive: positive)
            }
            if let c = constant.magnitude {
                let domain: [Interval] = switch op {
                case .less: [Interval(lo: -.infinity, hi: c, loOpen: true, hiOpen: true)]
                case .lessEqual: [Interval(lo: -.infinity, hi: c, loOpen: true, hiOpen: false)]
                case .greater: [Interval(lo: c, hi: .infinity, loOpen: true, hiOpen: true)]
                case .greaterEqual: [Interval(lo: c, hi: .infinity, loOpen: false, hiOpen: true)]
                case .equal: [Interval(lo: c, hi: c, loOpen: false, hiOpen: false)]
                case .notEqual: [Interval(lo: -.infinity, hi: c, loOpen: true, hiOpen: true), Interval(lo: c, hi: .infinity, loOpen: true, hiOpen: true)]
                }
                return Literal(variable: signal.name, domain: .intervals(domain), positive: positive)
            }
            let text: String
            switch constant {
            case .string(let s): text = s
            case .bool(let b): text = b ? "true" : "false"
            default: return opaque()
            }
            switch op {
            case .equal: return Literal(variable: signal.name, domain: .values([text], complement: false), positive: positive)
            case .notEqual: return Literal(variable: signal.name, domain: .values([text], complement: true), positive: positive)
            default: return opaque()
            }
        case .member(.signal(let s), let set, let negated):
            let p = negated ? !positive : positive
            switch set {
            case .strings(let items): return Literal(variable: s.name, domain: .values(Set(items), complement: false), positive: p)
            case .stringList(let index, _) where index < lists.stringSets.count:
                return Literal(variable: s.name, domain: .values(lists.stringSets[index], complement: false), positive: p)
            case .numbers(let items):
                return Literal(variable: s.name, domain: .intervals(items.map { Interval(lo: $0, hi: $0, loOpen: false, hiOpen: false) }), positive: p)
            default:
                return Literal(variable: TypedExpression.member(.signal(s), set, negated: false).canonical,
                               domain: .values(["true"], complement: false), positive: p)
            }
        default:
            return opaque()
        }
    }
}
