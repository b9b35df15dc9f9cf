/// A YAML node with where it came from: the output of the `parseYAML` stage.
///
/// Scalars stay text (with their quoting style) because the policy language, not YAML's
/// type resolution, decides what `90d` or `yes` mean.
package struct YAMLNode: Sendable {
    package enum ScalarStyle: Sendable, Hashable {
        case plain, singleQuoted, doubleQuoted, literal, folded
    }

    package enum Kind: Sendable {
        case scalar(String, ScalarStyle)
        case sequence([YAMLNode])
        case mapping([Entry])
    }

    package struct Entry: Sendable {
        package var key: YAMLNode
        package var value: YAMLNode
        /// The key's text when it is a scalar.
        package var name: String { key.scalar ?? "" }
    }

    package var kind: Kind
    /// Position of the node's first character (a quote or block indicator for such scalars).
    package var position: SourcePosition
    /// Scalar index of the node's first character in ``SourceText``.
    package var index: Int
    /// Nodes in this subtree, counting alias expansions.
    package var size: Int

    package var scalar: String? {
        if case .scalar(let s, _) = kind { return s }
        return nil
    }

    package var style: ScalarStyle? {
        if case .scalar(_, let style) = kind { return style }
        return nil
    }

    package var sequence: [YAMLNode]? {
        if case .sequence(let items) = kind { return items }
        return nil
    }

    package var mapping: [Entry]? {
        if case .mapping(let entries) = kind { return entries }
        return nil
    }

    /// A plain `null`, `~` or empty scalar.
    package var isNull: Bool {
        if case .scalar(let s, .plain) = kind { return s.isEmpty || s == "~" || s == "null" || s == "Null" || s == "NULL" }
        return false
    }

    /// A short word for messages: `a mapping`, `a list`, `a scalar`.
    package var shapeName: String {
        switch kind {
        case .scalar: isNull ? "nothing" : "a scalar"
        case .sequence: "a list"
        case .mapping: "a mapping"
        }
    }

    /// The value for `key` in a mapping.
    package subscript(key: String) -> YAMLNode? {
        mapping?.first { $0.name == key }?.value
    }
}
