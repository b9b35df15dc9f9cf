/// A policy's text as Unicode scalars (libyaml counts positions in characters, not bytes),
/// with line starts for turning indices into positions.
package struct SourceText: Sendable {
    package let scalars: [Unicode.Scalar]
    private let lineStarts: [Int]

    package init(_ text: String) {
        var scalars: [Unicode.Scalar] = []
        scalars.reserveCapacity(text.utf8.count)
        var starts = [0]
        for s in text.unicodeScalars {
            scalars.append(s)
            if s == "\n" { starts.append(scalars.count) }
        }
        self.scalars = scalars
        self.lineStarts = starts
    }

    /// The 1-based position of a scalar index.
    package func position(ofIndex index: Int) -> SourcePosition {
        let i = max(0, min(index, scalars.count))
        var lo = 0, hi = lineStarts.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if lineStarts[mid] <= i { lo = mid + 1 } else { hi = mid }
        }
        let line = max(lo, 1)
        return SourcePosition(line: line, column: i - lineStarts[line - 1] + 1)
    }
}
