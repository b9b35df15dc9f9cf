/// Compiled expressions: one flat array of nodes that refer to each other by index, plus the
/// sets `in` tests. Evaluation walks it without allocating, boxing or capturing.
package struct ExpressionProgram: Sendable {
    package enum Op: UInt8, Sendable {
        case constant, signal, not, and, or
        case equal, notEqual, less, lessEqual, greater, greaterEqual
        /// Comparisons whose operands are both numbers or quantities (the type checker makes
        /// both sides the same type): compared as magnitudes without materialising values.
        case numberEqual, numberNotEqual, numberLess, numberLessEqual, numberGreater, numberGreaterEqual
        /// A string signal (slot in `index`) against a string constant (`b` indexes ``strings``).
        case stringEqual, stringNotEqual
        case add, subtract, multiply, divide, negate, minimum, maximum
        case inIPSet, inStringSet, inNumberSet
    }

    package struct Node: Sendable {
        package var op: Op
        package var a: Int32 = -1
        package var b: Int32 = -1
        /// Signal slot for `.signal` and for a comparison of a signal with a constant (`a` is then
        /// unused), set index for `in`.
        package var index: Int32 = -1
        /// Result type of arithmetic.
        package var type: ValueType = .bool
        package var scale: Double = 1
        /// The magnitude of a numeric `.constant` (NaN for other constants), read without the value.
        package var number: Double = .nan
    }

    package private(set) var nodes: [Node] = []
    package private(set) var ipSets: [IPSet] = []
    package private(set) var stringSets: [StringMembership] = []
    package private(set) var numberSets: [Set<Double>] = []
    /// Constants, kept apart so nodes stay plain data and copying one costs no reference counting.
    package private(set) var constants: [Value] = []
    /// The string constants of `stringEqual` and `stringNotEqual` nodes.
    package private(set) var strings: [String] = []
    /// The text of each root, for explanations and graphs.
    package init(ipSets: [IPSet], stringSets: [Set<String>]) {
        self.ipSets = ipSets
        self.stringSets = stringSets.map(StringMembership.init)
    }

    /// Appends a typed expression; returns its root index.
    package mutating func lower(_ e: TypedExpression) -> Int32 {
        var node: Node
        switch e {
        case .constant(let v):
            constants.append(v)
            node = Node(op: .constant, index: Int32(constants.count - 1))
            node.number = v.magnitude ?? .nan
        case .signal(let s): node = Node(op: .signal, index: Int32(s.rawValue))
        case .not(let a): node = Node(op: .not, a: lower(a))
        case .and(let a, let b): node = Node(op: .and, a: lower(a), b: lower(b))
        case .or(let a, let b): node = Node(op: .or, a: lower(a), b: lower(b))
        case .compare(let op, let a, let b): node = lowerCompare(op, a, b)
        case .arithmetic(let op, let a, let b, let result, let scale):
            let code: Op = switch op {
            case .add: .add
            case .subtract: .subtract
            case .multiply: .multiply
            case .divide: .divide
            }
            node = Node(op: code, a: lower(a), b: lower(b), type: result, scale: scale)
        case .negate(let a): node = Node(op: .negate, a: lower(a))
        case .extremum(let isMax, let a, let b): node = Node(op: isMax ? .maximum : .minimum, a: lower(a), b: lower(b))
        case .member(let a, let set, let negated): node = lowerMember(a, set, negated: negated)
        }
        nodes.append(node)
        return Int32(nodes.count - 1)
    }

    // `lower` recurses once per level of the tree; the bulky cases live in their own functions so
    // its stack frame stays small.

    private mutating func lowerCompare(_ op: ComparisonOperator, _ a: TypedExpression, _ b: TypedExpression) -> Node {
        var node: Node
        let numeric = a.isNumeric && b.isNumeric
        // A signal against a numeric constant (the usual leaf, `account.failures >= 3`) is
        // one node: the slot in `index`, the constant in `number`, the signal on the left.
        var fused: (slot: Int32, constant: Double, op: ComparisonOperator)? = nil
        if numeric, case .signal(let s) = a, let c = b.constantValue?.magnitude { fused = (Int32(s.rawValue), c, op) }
        if numeric, case .signal(let s) = b, let c = a.constantValue?.magnitude { fused = (Int32(s.rawValue), c, op.swapped) }
        let code: Op = switch fused?.op ?? op {
        case .equal: numeric ? .numberEqual : .equal
        case .notEqual: numeric ? .numberNotEqual : .notEqual
        case .less: numeric ? .numberLess : .less
        case .lessEqual: numeric ? .numberLessEqual : .lessEqual
        case .greater: numeric ? .numberGreater : .greater
        case .greaterEqual: numeric ? .numberGreaterEqual : .greaterEqual
        }
        var text: (slot: Int32, constant: String)? = nil
        if op == .equal || op == .notEqual {
            if case .signal(let s) = a, case .string(let c)? = b.constantValue { text = (Int32(s.rawValue), c) }
            if case .signal(let s) = b, case .string(let c)? = a.constantValue { text = (Int32(s.rawValue), c) }
        }
        if let fused {
            node = Node(op: code, index: fused.slot)
            node.number = fused.constant
        } else if let text {
            strings.append(text.constant)
            node = Node(op: op == .equal ? .stringEqual : .stringNotEqual, b: Int32(strings.count - 1), index: text.slot)
        } else {
            node = Node(op: code, a: lower(a), b: lower(b))
        }
        return node
    }

    private mutating func lowerMember(_ a: TypedExpression, _ set: SetReference, negated: Bool) -> Node {
        let operand = lower(a)
        var node: Node
        switch set {
        case .ipList(let index, _): node = Node(op: .inIPSet, a: operand, index: Int32(index))
        case .stringList(let index, _): node = Node(op: .inStringSet, a: operand, index: Int32(index))
        case .ips(let ipSet, _):
            ipSets.append(ipSet)
            node = Node(op: .inIPSet, a: operand, index: Int32(ipSets.count - 1))
        case .strings(let items):
            stringSets.append(StringMembership(Set(items)))
            node = Node(op: .inStringSet, a: operand, index: Int32(stringSets.count - 1))
        case .numbers(let items):
            numberSets.append(Set(items))
            node = Node(op: .inNumberSet, a: operand, index: Int32(numberSets.count - 1))
        }
        if negated {
            nodes.append(node)
            node = Node(op: .not, a: Int32(nodes.count - 1))
        }
        return node
    }
}

extension ExpressionProgram {
    /// Runs `body` with a machine over this program and `signals`, valid only inside `body`.
    @inline(__always)
    func withMachine<T>(_ signals: UnsafeBufferPointer<Value>, _ body: (ExpressionMachine) -> T) -> T {
        nodes.withUnsafeBufferPointer { nodes in
            constants.withUnsafeBufferPointer { constants in
                strings.withUnsafeBufferPointer { strings in
                    ipSets.withUnsafeBufferPointer { ipSets in
                        stringSets.withUnsafeBufferPointer { stringSets in
                            numberSets.withUnsafeBufferPointer { numberSets in
                                body(ExpressionMachine(nodes: nodes, signals: signals, constants: constants, strings: strings,
                                                       ipSets: ipSets, stringSets: stringSets, numberSets: numberSets))
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Evaluates an ``ExpressionProgram`` over one request's signals.
///
/// Semantics of unavailable values: a comparison or membership test with an unavailable operand
/// is false; an unavailable boolean reads false; arithmetic with an unavailable operand (or a
/// division by zero) is unavailable.
///
/// It holds only buffer pointers into the program and the signals (``ExpressionProgram/withMachine(_:_:)``
/// lends them), so it is plain data: making, passing and dropping one costs no reference counting.
struct ExpressionMachine {
    let nodes: UnsafeBufferPointer<ExpressionProgram.Node>
    let signals: UnsafeBufferPointer<Value>
    let constants: UnsafeBufferPointer<Value>
    let strings: UnsafeBufferPointer<String>
    let ipSets: UnsafeBufferPointer<IPSet>
    let stringSets: UnsafeBufferPointer<StringMembership>
    let numberSets: UnsafeBufferPointer<Set<Double>>

    /// The boolean value of node `root`. `not`, and the right operand of `and` and `or`, are
    /// followed in a loop rather than by recursion: a chain of conditions costs one call per
    /// left operand.
    func truth(_ root: Int32) -> Bool {
        var i = root
        // The result is the current node's value, inverted when `negated`.
        var negated = false
        while true {
            let n = nodes[Int(i)]
            switch n.op {
            case .not:
                negated.toggle()
                i = n.a
            case .and:
                if !truth(n.a) { return negated }
                i = n.b
            case .or:
                if truth(n.a) { return !negated }
                i = n.b
            default:
                return leaf(n) != negated
            }
        }
    }

    /// The boolean value of a node that is not `not`, `and` or `or`.
    @inline(__always)
    private func leaf(_ n: ExpressionProgram.Node) -> Bool {
        switch n.op {
        case .signal: return signals[Int(n.index)].isTrue
        case .constant: return constants[Int(n.index)].isTrue
        case .numberEqual, .numberNotEqual, .numberLess, .numberLessEqual, .numberGreater, .numberGreaterEqual:
            // NaN stands for unavailable here: every comparison with it is false, as with `.unavailable`.
            let x = n.index >= 0 ? slotNumber(n.index) : number(n.a)
            let y = n.index >= 0 ? n.number : number(n.b)
            switch n.op {
            case .numberEqual: return x == y
            case .numberNotEqual: return x != y && !x.isNaN && !y.isNaN
            case .numberLess: return x < y
            case .numberLessEqual: return x <= y
            case .numberGreater: return x > y
            default: return x >= y
            }
        case .stringEqual, .stringNotEqual:
            // Unavailable (or not a string): false either way, as in ``compare(_:_:_:)``.
            guard case .string(let v) = signals[Int(n.index)] else { return false }
            return (v == strings[Int(n.b)]) == (n.op == .stringEqual)
        case .equal, .notEqual, .less, .lessEqual, .greater, .greaterEqual:
            return compare(n.op, value(n.a), value(n.b))
        case .inIPSet:
            if case .ip(let address) = value(n.a) { return ipSets[Int(n.index)].contains(address) }
            return false
        case .inStringSet:
            if case .string(let s) = value(n.a) { return stringSets[Int(n.index)].contains(s) }
            return false
        case .inNumberSet:
            if let v = value(n.a).magnitude { return numberSets[Int(n.index)].contains(v) }
            return false
        default:
            return false
        }
    }

    /// The magnitude of numeric node `i`, NaN when it is unavailable (arithmetic never yields
    /// NaN: a non-finite result is unavailable).
    @inline(__always)
    private func number(_ i: Int32) -> Double {
        let n = nodes[Int(i)]
        switch n.op {
        case .constant: return n.number
        case .signal: return slotNumber(n.index)
        default: return value(i).magnitude ?? .nan
        }
    }

    /// The magnitude in signal slot `slot`, NaN when it holds no number or quantity.
    @inline(__always)
    private func slotNumber(_ slot: Int32) -> Double {
        switch signals[Int(slot)] {
        case .number(let v), .duration(let v), .speed(let v), .distance(let v): return v
        default: return .nan
        }
    }

    func value(_ i: Int32) -> Value {
        let n = nodes[Int(i)]
        switch n.op {
        case .constant: return constants[Int(n.index)]
        case .signal: return signals[Int(n.index)]
        case .add, .subtract, .multiply, .divide, .minimum, .maximum:
            guard let x = value(n.a).magnitude, let y = value(n.b).magnitude else { return .unavailable }
            let v: Double = switch n.op {
            case .add: x + y
            case .subtract: x - y
            case .multiply: x * y
            case .divide: x / y * n.scale
            case .minimum: Swift.min(x, y)
            default: Swift.max(x, y)
            }
            guard v.isFinite else { return .unavailable }
            if n.op == .minimum || n.op == .maximum { return value(n.a).with(magnitude: v) }
            return Value.make(n.type, v)
        case .negate:
            let operand = value(n.a)
            guard let x = operand.magnitude else { return .unavailable }
            return operand.with(magnitude: -x)
        default:
            return .bool(truth(i))
        }
    }

    @inline(__always)
    private func compare(_ op: ExpressionProgram.Op, _ l: Value, _ r: Value) -> Bool {
        if let x = l.magnitude, let y = r.magnitude {
            switch op {
            case .equal: return x == y
            case .notEqual: return x != y
            case .less: return x < y
            case .lessEqual: return x <= y
            case .greater: return x > y
            default: return x >= y
            }
        }
        let equal: Bool
        switch (l, r) {
        case (.string(let a), .string(let b)): equal = a == b
        case (.bool(let a), .bool(let b)): equal = a == b
        case (.ip(let a), .ip(let b)): equal = a == b
        default: return false
        }
        switch op {
        case .equal: return equal
        case .notEqual: return !equal
        default: return false
        }
    }
}

/// Membership in a set of strings: a scan of a short array for small sets (comparing a few short
/// strings is cheaper than hashing one), a hash set for larger ones. Same equality either way.
package struct StringMembership: Sendable {
    /// Sets of at most this many strings are scanned.
    static let scanLimit = 8
    private let items: [String]
    private let set: Set<String>

    package init(_ set: Set<String>) {
        self.items = set.count <= Self.scanLimit ? set.sorted() : []
        self.set = set.count <= Self.scanLimit ? [] : set
    }

    @inline(__always)
    package func contains(_ s: String) -> Bool {
        if set.isEmpty { return items.contains(s) }
        return set.contains(s)
    }
}

extension Value {
    @inline(__always)
    package static func make(_ type: ValueType, _ v: Double) -> Value {
        switch type {
        case .duration: .duration(v)
        case .speed: .speed(v)
        case .distance: .distance(v)
        default: .number(v)
        }
    }

    /// The same kind of quantity with another magnitude.
    @inline(__always)
    func with(magnitude v: Double) -> Value {
        switch self {
        case .duration: .duration(v)
        case .speed: .speed(v)
        case .distance: .distance(v)
        default: .number(v)
        }
    }
}
