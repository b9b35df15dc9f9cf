import RiskGatePolicy

extension JSONValue {
    /// `bytes` read as one JSON value by ``JSONScanner`` (strict RFC 8259, nesting bounded by
    /// `maxDepth`), or `nil` when they are not one.
    package init?(parsing bytes: UnsafeRawBufferPointer, maxDepth: Int = 32) {
        var s = JSONScanner(bytes, maxDepth: maxDepth)
        guard let value = try? s.readValue(depth: 0), s.atEnd() else { return nil }
        self = value
    }

    /// `text` read as one JSON value, or `nil` when it is not one.
    package init?(parsing text: String, maxDepth: Int = 32) {
        var text = text
        guard let value = text.withUTF8({ JSONValue(parsing: UnsafeRawBufferPointer($0), maxDepth: maxDepth) }) else { return nil }
        self = value
    }
}
