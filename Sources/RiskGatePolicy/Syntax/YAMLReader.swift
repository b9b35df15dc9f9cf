import CYAML

/// Turns YAML text into a ``YAMLNode`` tree using libyaml's event API, enforcing ``YAMLLimits``
/// and reporting duplicate keys, non-scalar keys and syntax errors as diagnostics.
package enum YAMLReader {
    /// The `parseYAML` stage: `nil` when the document cannot be read at all (always with a
    /// diagnostic). A file without a document gives a null node at 1:1.
    package static func read(_ source: String, text: SourceText, limits: YAMLLimits = .standard,
                             diagnostics: inout DiagnosticBag) -> YAMLNode? {
        if source.utf8.count > limits.maxBytes {
            diagnostics.error(.fileTooLarge, "file is \(source.utf8.count) bytes, more than the \(limits.maxBytes) allowed",
                              at: .start, help: "a policy is at most 1 MiB; move large IP lists into list files")
            return nil
        }
        var bytes = Array(source.utf8)
        if bytes.isEmpty { bytes = [0x0A] }
        return bytes.withUnsafeBufferPointer { buffer -> YAMLNode? in
            var parser = yaml_parser_t()
            guard yaml_parser_initialize(&parser) == 1 else {
                diagnostics.error(.yamlSyntax, "cannot initialise the YAML parser", at: .start, help: "the system is out of memory; try again")
                return nil
            }
            defer { yaml_parser_delete(&parser) }
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            var builder = Builder(text: text, limits: limits)
            return builder.run(&parser, diagnostics: &diagnostics)
        }
    }

    private struct Frame {
        var isMapping: Bool
        var items: [YAMLNode] = []
        var anchor: String?
        var position: SourcePosition
        var index: Int
        var size = 1
    }

    private struct Builder {
        let text: SourceText
        let limits: YAMLLimits
        var stack: [Frame] = []
        var anchors: [String: YAMLNode] = [:]
        var totalNodes = 0
        var root: YAMLNode?
        var documents = 0

        init(text: SourceText, limits: YAMLLimits) {
            self.text = text
            self.limits = limits
        }

        /// Where `mark` is, in lines ended by `\n` as the rest of the compiler counts them (and as
        /// diagnostics print their source line). libyaml's own `line` also counts a lone `\r`, NEL,
        /// LS and PS as line breaks, which put diagnostics past the end of such a file, without
        /// their source line (found by fuzzing: Fuzz/Corpus/policy/regressions/lone-cr-line-breaks.yaml).
        func position(_ mark: yaml_mark_t) -> SourcePosition {
            text.position(ofIndex: Int(mark.index))
        }

        mutating func run(_ parser: inout yaml_parser_t, diagnostics: inout DiagnosticBag) -> YAMLNode? {
            var event = yaml_event_t()
            while true {
                guard yaml_parser_parse(&parser, &event) == 1 else {
                    let problem = parser.problem.map { String(cString: $0) } ?? "invalid YAML"
                    let context = parser.context.map { String(cString: $0) }
                    var message = problem
                    if let context { message = "\(problem) \(context)" }
                    let help = parser.error == YAML_READER_ERROR ? "save the file as UTF-8"
                        : context == "while parsing a flow mapping" ? flowMappingHelp()
                        : "check indentation, quoting and that every `key:` is followed by a space"
                    diagnostics.error(.yamlSyntax, "yaml: \(message)", at: position(parser.problem_mark), help: help)
                    return nil
                }
                defer { yaml_event_delete(&event) }
                let type = event.type
                if type == YAML_STREAM_END_EVENT { break }
                switch type {
                case YAML_DOCUMENT_START_EVENT:
                    documents += 1
                    if documents > 1 {
                        diagnostics.error(.multipleDocuments, "a policy file holds one YAML document",
                                          at: position(event.start_mark), help: "remove the `---` and what follows, or split the file")
                        return nil
                    }
                case YAML_SCALAR_EVENT:
                    let s = event.data.scalar
                    if s.length > limits.maxScalarBytes {
                        diagnostics.error(.scalarTooLong, "scalar of \(s.length) bytes is longer than the \(limits.maxScalarBytes) allowed",
                                          at: position(event.start_mark),
                                          help: "shorten it; long value lists belong in a list file (`file:`), long conditions in several rules")
                        return nil
                    }
                    let value = s.value.map { String(decoding: UnsafeBufferPointer(start: $0, count: Int(s.length)), as: UTF8.self) } ?? ""
                    let style: YAMLNode.ScalarStyle = switch s.style {
                    case YAML_SINGLE_QUOTED_SCALAR_STYLE: .singleQuoted
                    case YAML_DOUBLE_QUOTED_SCALAR_STYLE: .doubleQuoted
                    case YAML_LITERAL_SCALAR_STYLE: .literal
                    case YAML_FOLDED_SCALAR_STYLE: .folded
                    default: .plain
                    }
                    let node = YAMLNode(kind: .scalar(value, style), position: position(event.start_mark),
                                        index: Int(event.start_mark.index), size: 1)
                    guard account(node, at: event.start_mark, &diagnostics) else { return nil }
                    register(anchor: s.anchor, node)
                    guard append(node, &diagnostics) else { return nil }
                case YAML_ALIAS_EVENT:
                    let name = event.data.alias.anchor.map { String(cString: $0) } ?? ""
                    guard var node = anchors[name] else {
                        diagnostics.error(.yamlSyntax, "yaml: unknown alias `*\(name)`", at: position(event.start_mark),
                                          help: "define the anchor `&\(name)` before this alias, or quote a value that starts with `*`")
                        return nil
                    }
                    guard account(node, at: event.start_mark, &diagnostics) else { return nil }
                    // An alias keeps the anchored content but reports the alias's own position.
                    node.position = position(event.start_mark)
                    node.index = Int(event.start_mark.index)
                    guard append(node, &diagnostics) else { return nil }
                case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                    if stack.count >= limits.maxDepth {
                        diagnostics.error(.nestingTooDeep, "nesting deeper than \(limits.maxDepth) levels",
                                          at: position(event.start_mark), help: "a policy never needs this; the file may be hostile")
                        return nil
                    }
                    let anchorPointer = type == YAML_SEQUENCE_START_EVENT ? event.data.sequence_start.anchor : event.data.mapping_start.anchor
                    stack.append(Frame(isMapping: type == YAML_MAPPING_START_EVENT,
                                       anchor: anchorPointer.map { String(cString: $0) },
                                       position: position(event.start_mark), index: Int(event.start_mark.index)))
                case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                    guard let frame = stack.popLast() else { return nil }
                    let node: YAMLNode
                    if frame.isMapping {
                        var entries: [YAMLNode.Entry] = []
                        entries.reserveCapacity(frame.items.count / 2)
                        var seen: [String: SourcePosition] = [:]
                        var i = 0
                        while i + 1 < frame.items.count {
                            let key = frame.items[i], value = frame.items[i + 1]
                            if let name = key.scalar {
                                if let first = seen[name] {
                                    diagnostics.error(.duplicateKey, "duplicate key `\(name)`", at: key.position,
                                                      help: "first defined at line \(first.line); YAML keeps only one, remove the other")
                                } else {
                                    seen[name] = key.position
                                }
                            } else {
                                diagnostics.error(.complexKey, "a key must be a plain name, not \(key.shapeName)", at: key.position,
                                                  help: "write `name: value`; a `?`, `[` or `{` at the start of a key makes YAML read a structure")
                            }
                            entries.append(YAMLNode.Entry(key: key, value: value))
                            i += 2
                        }
                        node = YAMLNode(kind: .mapping(entries), position: frame.position, index: frame.index, size: frame.size)
                    } else {
                        node = YAMLNode(kind: .sequence(frame.items), position: frame.position, index: frame.index, size: frame.size)
                    }
                    totalNodes += 1
                    if let anchor = frame.anchor { anchors[anchor] = node }
                    guard append(node, &diagnostics) else { return nil }
                default:
                    break
                }
            }
            // No document at all (an empty or comment-only file) reads as an empty one, a null,
            // so the caller reports it as empty (RG1010) rather than as nothing.
            return root ?? YAMLNode(kind: .scalar("", .plain), position: .start, index: 0, size: 1)
        }

        /// The help for a syntax error inside `{ ... }`: there `[`, `]`, `{`, `}` and `,` are YAML's,
        /// so an unquoted expression holding them (`when: ip in ["192.0.2.0/24"]`) breaks the
        /// mapping. The help quotes the expression of the key being read when it can find it.
        func flowMappingHelp() -> String {
            let generic = "close each `{` with `}`; inside `{ ... }`, YAML reads `[`, `]`, `{`, `}` and `,` itself, so quote an expression that holds them, e.g. `when: 'ip in [\"192.0.2.0/24\"]'`"
            guard let frame = stack.last, frame.isMapping, frame.items.count >= 2, frame.items.count % 2 == 0,
                  let key = frame.items[frame.items.count - 2].scalar,
                  case .scalar(_, .plain) = frame.items[frame.items.count - 1].kind else { return generic }
            // The value's text from its start to the end of the line, cut before `}` and a following `, key:`.
            var scalars: [Unicode.Scalar] = []
            var i = frame.items[frame.items.count - 1].index
            while i < text.scalars.count, text.scalars[i] != "\n", text.scalars[i] != "\r" {
                scalars.append(text.scalars[i])
                i += 1
            }
            if let close = scalars.lastIndex(of: "}") { scalars = Array(scalars[..<close]) }
            var value = String(String.UnicodeScalarView(scalars))
            if let next = value.firstRange(of: #/,\s*[A-Za-z_]+:\s/#) { value = String(value[..<next.lowerBound]) }
            while value.last == " " { value.removeLast() }
            guard !value.isEmpty, value.contains(where: { "[]{},".contains($0) }) else { return generic }
            return "inside `{ ... }`, YAML reads `[`, `]`, `{`, `}` and `,` itself: quote the expression, e.g. `\(key): '\(value.replacing("'", with: "''"))'`"
        }

        /// Counts a node (an alias counts its whole expansion) against the budget.
        mutating func account(_ node: YAMLNode, at mark: yaml_mark_t, _ diagnostics: inout DiagnosticBag) -> Bool {
            totalNodes += node.size
            if totalNodes > limits.maxNodes {
                diagnostics.error(.aliasExpansion, "document expands to more than \(limits.maxNodes) nodes",
                                  at: position(mark), help: "aliases (`*name`) repeat their anchor's content; this file multiplies it exponentially")
                return false
            }
            return true
        }

        mutating func register(anchor: UnsafeMutablePointer<yaml_char_t>?, _ node: YAMLNode) {
            if let anchor { anchors[String(cString: anchor)] = node }
        }

        mutating func append(_ node: YAMLNode, _ diagnostics: inout DiagnosticBag) -> Bool {
            if stack.isEmpty {
                root = node
                return true
            }
            let top = stack.count - 1
            stack[top].items.append(node)
            let (sum, overflow) = stack[top].size.addingReportingOverflow(node.size)
            stack[top].size = overflow ? .max : sum
            if stack[top].size > limits.maxNodes {
                diagnostics.error(.aliasExpansion, "document expands to more than \(limits.maxNodes) nodes",
                                  at: node.position, help: "aliases (`*name`) repeat their anchor's content; this file multiplies it exponentially")
                return false
            }
            return true
        }
    }
}
