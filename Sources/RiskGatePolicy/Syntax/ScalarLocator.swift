/// Maps offsets inside a scalar's value back to file positions, so a diagnostic inside an
/// expression points at the right column.
///
/// Plain and single-line scalars map exactly; folded lines, escapes and block scalars are matched
/// character by character against the source, which is exact in practice and never worse than
/// the scalar's start.
package struct ScalarLocator: Sendable {
    private let node: YAMLNode
    private let text: SourceText

    /// A locator for a node's scalar value. Nothing is mapped until a position is asked for:
    /// only diagnostics ask, and mapping every expression of a large policy up front was a
    /// tenth of its compile time.
    package init(node: YAMLNode, text: SourceText) {
        self.node = node
        self.text = text
    }

    /// The position of the scalar at `offset` in the value (the end for offsets past it).
    package func position(at offset: Int) -> SourcePosition {
        let positions = Self.positions(node: node, text: text)
        if positions.isEmpty { return node.position }
        return positions[max(0, min(offset, positions.count - 1))]
    }

    /// The file position of each scalar of the node's value, then of its end; empty for a non-scalar.
    private static func positions(node: YAMLNode, text: SourceText) -> [SourcePosition] {
        guard case .scalar(let value, let style) = node.kind else { return [] }
        let src = text.scalars
        var i = node.index
        switch style {
        case .plain: break
        case .singleQuoted, .doubleQuoted: i += 1
        case .literal, .folded:
            while i < src.count, src[i] != "\n" { i += 1 }
            i += 1
        }
        var result: [SourcePosition] = []
        result.reserveCapacity(value.unicodeScalars.count + 1)
        let chars = Array(value.unicodeScalars)
        var k = 0
        while k < chars.count {
            let c = chars[k]
            let isSpace = c == " " || c == "\n" || c == "\t"
            if isSpace {
                result.append(text.position(ofIndex: min(i, src.count)))
                if i < src.count, src[i] == " " || src[i] == "\n" || src[i] == "\t" || src[i] == "\r" { i += 1 }
                if k + 1 < chars.count, !(chars[k + 1] == " " || chars[k + 1] == "\n" || chars[k + 1] == "\t") {
                    while i < src.count, src[i] == " " || src[i] == "\n" || src[i] == "\t" || src[i] == "\r" { i += 1 }
                }
            } else {
                while i < src.count, src[i] == " " || src[i] == "\n" || src[i] == "\t" || src[i] == "\r" { i += 1 }
                if style == .doubleQuoted, i < src.count, src[i] == "\\", i + 1 < src.count, src[i + 1] == c { i += 1 }
                if style == .singleQuoted, c == "'", i + 1 < src.count, src[i] == "'", src[i + 1] == "'" { i += 1 }
                result.append(text.position(ofIndex: min(i, src.count)))
                i += 1
            }
            k += 1
        }
        result.append(text.position(ofIndex: min(i, src.count)))
        return result
    }
}
