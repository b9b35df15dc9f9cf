import Foundation

/// Output formats of `riskgate graph`.
public enum GraphFormat: String, Sendable, CaseIterable {
    case dot, mermaid, json
}

extension CompiledPolicy {
    /// The decision graph as Graphviz dot, Mermaid, or JSON.
    ///
    /// Rules are boxes labelled with their id and condition; an edge labelled `yes` goes to the
    /// outcome (or into a group's first rule), `no` to the next rule at that level.
    public func render(_ format: GraphFormat) -> String {
        switch format {
        case .dot: renderDot()
        case .mermaid: renderMermaid()
        case .json: renderJSON()
        }
    }

    /// Edges of the graph: (from node, to node, label). Nodes are `r<i>` for rules and `o_<outcome>`.
    private func edges() -> [(String, String, String)] {
        var result: [(String, String, String)] = []
        // The node reached when rule i does not match: its next sibling, or (at a group's end) the group's next sibling.
        func next(after i: Int) -> String {
            var index = i
            while true {
                let end = rules[index].end
                let parent = rules[index].parent
                let limit = parent >= 0 ? rules[parent].end : rules.count
                if end < limit { return "r\(end)" }
                if parent < 0 { return "none" }
                index = parent
            }
        }
        for (i, rule) in rules.enumerated() {
            let yes = rule.outcome.map { "o_\($0.rawValue)" } ?? (rule.end > i + 1 ? "r\(i + 1)" : next(after: i))
            if rule.condition < 0 {
                result.append(("r\(i)", yes, ""))
            } else {
                result.append(("r\(i)", yes, "yes"))
                result.append(("r\(i)", next(after: i), "no"))
            }
        }
        return result
    }

    private func label(_ i: Int) -> String {
        let rule = rules[i]
        return rule.whenText.map { "\(rule.id)\n\($0)" } ?? rule.id
    }

    private func renderDot() -> String {
        func quote(_ s: String) -> String {
            "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n") + "\""
        }
        var out = "digraph \(quote(name)) {\n  rankdir=TB;\n  node [shape=box, fontname=\"Helvetica\"];\n"
        out += "  start [shape=circle, label=\"\"];\n"
        for i in rules.indices {
            out += "  r\(i) [label=\(quote(label(i)))\(rules[i].outcome == nil ? ", style=dashed" : "")];\n"
        }
        for outcome in Outcome.allCases where rules.contains(where: { $0.outcome == outcome }) {
            out += "  o_\(outcome.rawValue) [shape=ellipse, label=\(quote(outcome.rawValue))];\n"
        }
        if !rules.isEmpty { out += "  start -> r0;\n" }
        for (from, to, text) in edges() {
            out += "  \(from) -> \(to)\(text.isEmpty ? "" : " [label=\(quote(text))]");\n"
        }
        return out + "}\n"
    }

    private func renderMermaid() -> String {
        func quote(_ s: String) -> String {
            "\"" + s.replacingOccurrences(of: "\"", with: "#quot;").replacingOccurrences(of: "\n", with: "<br/>") + "\""
        }
        var out = "flowchart TD\n"
        for i in rules.indices {
            out += rules[i].outcome == nil ? "  r\(i)[[\(quote(label(i)))]]\n" : "  r\(i)[\(quote(label(i)))]\n"
        }
        for outcome in Outcome.allCases where rules.contains(where: { $0.outcome == outcome }) {
            out += "  o_\(outcome.rawValue)([\(quote(outcome.rawValue))])\n"
        }
        for (from, to, text) in edges() {
            out += text.isEmpty ? "  \(from) --> \(to)\n" : "  \(from) -->|\(text)| \(to)\n"
        }
        return out
    }

    private func renderJSON() -> String {
        func node(_ i: Int) -> JSONValue {
            let rule = rules[i]
            var object: [String: JSONValue] = ["id": .string(rule.id)]
            object["when"] = rule.whenText.map(JSONValue.string) ?? .null
            if let outcome = rule.outcome {
                object["outcome"] = .string(outcome.rawValue)
            } else {
                var children: [JSONValue] = []
                var c = i + 1
                while c < rule.end { children.append(node(c)); c = rules[c].end }
                object["rules"] = .array(children)
            }
            return .object(object)
        }
        var top: [JSONValue] = []
        var i = 0
        while i < rules.count { top.append(node(i)); i = rules[i].end }
        let score: [JSONValue] = scoreRules.map { .object(["id": .string($0.id), "reason": .string($0.reason)]) }
        let document: JSONValue = .object([
            "policy": .string(name), "hash": .string(hash),
            "score": .object(["rules": .array(score), "bands": .object(["medium": .number(bands.medium), "high": .number(bands.high)])]),
            "decide": .array(top),
        ])
        var writer = JSONWriter(escapesSlashes: false, pretty: true, capacity: 4096)
        do { try writer.json(document) } catch { return "{}\n" }
        return writer.text + "\n"
    }
}
