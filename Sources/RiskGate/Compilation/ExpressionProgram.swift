/// Compiled expressions: one flat array of nodes that refer to each other by index, plus the
/// sets `in` tests. Evaluation walks it without allocating, boxing or capturing.
package struct ExpressionProgram: Sendable {
    package enum Op: UInt8, Sendable {
        case constant, signal, not, and, or
        case equal, notEqual, less, lessEqual, greater, greaterEqual
        case add, subtract, multiply, divide, negate, minimum, maximum
        case inIPSet, inStringSet, inNumberSet
    }

    package struct Node: Sendable {
        package var op: Op
        package var a: Int32 = -1
        package var b: Int32 = -1
        /// Signal slot for `.signal`, set index for `in`.
        package var index: Int32 = -1
        /// Result type of arithmetic.
        package var type: ValueType = .bool
        package var scale: Double = 1
    }

    package private(set) var nodes: [Node] = []
    package private(set) var ipSets: [IPSet] = []
    package private(set) var stringSets: [Set<String>] = []
    package private(set) var numberSets: [Set<Double>] = []
    /// Constants, kept apart so nodes stay plain data and copying one costs no reference counting.
    package private(set) var constants: [Value] = []
    /// The text of each root, for explanations and graphs.
    package init(ipSets: [IPSet], stringSets: [Set<String>]) {
        self.ipSets = ipSets
        self.stringSets = stringSets
    }

    /// Appends a typed expression; returns its root index.
    package mutating func lower(_ e: TypedExpression) -> Int32 {
        var node: Node
        switch e {
        case .constant(let v):
            constants.append(v)
            node = Node(op: .constant, index: Int32(constants.count - 1))
        case .signal(let s): node = Node(op: .signal, index: Int32(s.rawValue))
        case .not(let a): node = Node(op: .not, a: lower(a))
        case .and(let a, let b): node = Node(op: .and, a: lower(a), b: lower(b))
        case .or(let a, let b): node = Node(op: .or, a: lower(a), b: lower(b))
        case .compare(let op, let a, let b):
            let code: Op = switch op {
            case .equal: .equal
            case .notEqual: .notEqual
            case .less: .less
            case .lessEqual: .lessEqual
            case .greater: .greater
            case .greaterEqual: .greaterEqual
            }
            node = Node(op: code, a: lower(a), b: lower(b))
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
        case .member(let a, let set, let negated):
            let operand = lower(a)
            switch set {
            case .ipList(let index, _): node = Node(op: .inIPSet, a: operand, index: Int32(index))
            case .stringList(let index, _): node = Node(op: .inStringSet, a: operand, index: Int32(index))
            case .ips(let ipSet, _):
                ipSets.append(ipSet)
                node = Node(op: .inIPSet, a: operand, index: Int32(ipSets.count - 1))
            case .strings(let items):
                stringSets.append(Set(items))
                node = Node(op: .inStringSet, a: operand, index: Int32(stringSets.count - 1))
            case .numbers(let items):
                numberSets.append(Set(items))
                node = Node(op: .inNumberSet, a: operand, index: Int32(numberSets.count - 1))
            }
            if negated {
                nodes.append(node)
                node = Node(op: .not, a: Int32(nodes.count - 1))
            }
        }
        nodes.append(node)
        return Int32(nodes.count - 1)
    }
}

/// Evaluates an ``ExpressionProgram`` over one request's signals.
///
/// Semantics of unavailable values: a comparison or membership test with an unavailable operand
/// is false; an unavailable boolean reads false; arithmetic with an unavailable operand (or a
/// division by zero) is unavailable.
package struct ExpressionMachine {
    let nodes: UnsafeBufferPointer<ExpressionProgram.Node>
    let signals: UnsafeBufferPointer<Value>
    let program: ExpressionProgram

    @inline(__always)
    package func truth(_ i: Int32) -> Bool {
        let n = nodes[Int(i)]
        switch n.op {
        case .signal: return signals[Int(n.index)].isTrue
        case .constant: return program.constants[Int(n.index)].isTrue
        case .not: return !truth(n.a)
        case .and: return truth(n.a) && truth(n.b)
        case .or: return truth(n.a) || truth(n.b)
        case .equal, .notEqual, .less, .lessEqual, .greater, .greaterEqual:
            return compare(n.op, value(n.a), value(n.b))
        case .inIPSet:
            if case .ip(let address) = value(n.a) { return program.ipSets[Int(n.index)].contains(address) }
            return false
        case .inStringSet:
            if case .string(let s) = value(n.a) { return program.stringSets[Int(n.index)].contains(s) }
            return false
        case .inNumberSet:
            if let v = value(n.a).magnitude { return program.numberSets[Int(n.index)].contains(v) }
            return false
        default:
            return false
        }
    }

    package func value(_ i: Int32) -> Value {
        let n = nodes[Int(i)]
        switch n.op {
        case .constant: return program.constants[Int(n.index)]
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

extension Value {
    @inline(__always)
    static func make(_ type: ValueType, _ v: Double) -> Value {
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
