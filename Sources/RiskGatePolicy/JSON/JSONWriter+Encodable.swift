import Foundation

extension JSONWriter {
    /// `value` as JSON text, the bytes `JSONEncoder` writes with `.sortedKeys` (and `.prettyPrinted`,
    /// `.withoutEscapingSlashes` as asked).
    ///
    /// For the `Encodable` types the CLI, the service and the webhook client print: reports, API
    /// bodies, payloads. Decisions, audit records and events, written per request or per event, are
    /// written member by member instead.
    /// - Parameters:
    ///   - formattingDates: the text a `Date` is written as; `nil` writes seconds since 2001, as
    ///     JSONEncoder's default `.deferredToDate` does.
    /// - Throws: ``Failure`` for a non-finite number or nesting deeper than 511; what `encode(to:)` throws.
    package static func encode<T: Encodable>(
        _ value: T, pretty: Bool = false, escapesSlashes: Bool = false, formattingDates: ((Date) -> String)? = nil
    ) throws -> [UInt8] {
        var writer = JSONWriter(escapesSlashes: escapesSlashes, pretty: pretty, capacity: 1024)
        try writer.encode(value, formattingDates: formattingDates)
        return writer.bytes
    }

    /// Writes `value` as `JSONEncoder` would (see ``encode(_:pretty:escapesSlashes:formattingDates:)``).
    package mutating func encode<T: Encodable>(_ value: T, formattingDates: ((Date) -> String)? = nil) throws {
        let root = EncodedNode()
        try TreeEncoder(node: root, codingPath: [], dateText: formattingDates).box(value)
        try write(root)
    }

    private mutating func write(_ node: EncodedNode) throws(Failure) {
        switch node.kind {
        case .null: null()
        case .bool(let b): bool(b)
        case .int(let n): int(Int(n))
        case .unsigned(let n): digits(UInt(n))
        case .double(let d): try number(d)
        case .float(let f): try number(f)
        case .string(let s): string(s)
        case .number(let text): appendText(text)
        case .array:
            try beginArray()
            for item in node.items {
                element()
                try write(item)
            }
            endArray()
        case .object, .empty:
            // A value that encoded nothing at all is `{}`, as in JSONEncoder.
            try beginObject()
            for (name, member) in JSONWriter.sorted(node.members) {
                key(name)
                try write(member)
            }
            endObject()
        }
    }

    private mutating func appendText(_ text: String) {
        var text = text
        text.withUTF8 { raw(bytes: UnsafeRawBufferPointer($0)) }
    }
}

/// One encoded value; a class so that a container handed out earlier sees what is added later.
private final class EncodedNode {
    enum Kind {
        case empty, null, bool(Bool), int(Int64), unsigned(UInt64), double(Double), float(Float), string(String)
        /// A `Decimal`'s text, written as a number.
        case number(String)
        case array, object
    }

    var kind = Kind.empty
    var items: [EncodedNode] = []
    var members: [String: EncodedNode] = [:]

    func makeObject() {
        if case .object = kind { return }
        kind = .object
        members = [:]
    }

    func makeArray() {
        if case .array = kind { return }
        kind = .array
        items = []
    }

    func member(_ key: String) -> EncodedNode {
        let node = EncodedNode()
        members[key] = node
        return node
    }

    func append() -> EncodedNode {
        let node = EncodedNode()
        items.append(node)
        return node
    }
}

/// The `Encoder` that fills ``EncodedNode``s.
private struct TreeEncoder: Encoder {
    let node: EncodedNode
    let codingPath: [any CodingKey]
    let dateText: ((Date) -> String)?
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        node.makeObject()
        return KeyedEncodingContainer(KeyedContainer<Key>(node: node, codingPath: codingPath, dateText: dateText))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        node.makeArray()
        return UnkeyedContainer(node: node, codingPath: codingPath, dateText: dateText)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        SingleValueContainer(encoder: self)
    }

    func child(_ node: EncodedNode, _ key: any CodingKey) -> TreeEncoder {
        TreeEncoder(node: node, codingPath: codingPath + [key], dateText: dateText)
    }

    /// Writes `value` into ``node``, with JSONEncoder's special cases for dates, URLs, data and decimals.
    func box<T: Encodable>(_ value: T) throws {
        switch value {
        case let date as Date:
            if let dateText { node.kind = .string(dateText(date)) } else { try date.encode(to: self) }
        case let url as URL: node.kind = .string(url.absoluteString)
        case let data as Data: node.kind = .string(data.base64EncodedString())
        case let decimal as Decimal: node.kind = .number(decimal.description)
        default: try value.encode(to: self)
        }
    }
}

private struct IndexKey: CodingKey {
    var stringValue: String { "Index \(intValue ?? 0)" }
    var intValue: Int?
    init(_ index: Int) { intValue = index }
    init?(stringValue: String) { nil }
    init?(intValue: Int) { self.intValue = intValue }
}

private struct SuperKey: CodingKey {
    var stringValue: String { "super" }
    var intValue: Int? { nil }
    init() {}
    init?(stringValue: String) {}
    init?(intValue: Int) { nil }
}

private struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let node: EncodedNode
    let codingPath: [any CodingKey]
    let dateText: ((Date) -> String)?

    private func child(_ key: any CodingKey) -> TreeEncoder {
        TreeEncoder(node: node.member(key.stringValue), codingPath: codingPath + [key], dateText: dateText)
    }

    mutating func encodeNil(forKey key: Key) throws { node.member(key.stringValue).kind = .null }
    mutating func encode(_ value: Bool, forKey key: Key) throws { node.member(key.stringValue).kind = .bool(value) }
    mutating func encode(_ value: String, forKey key: Key) throws { node.member(key.stringValue).kind = .string(value) }
    mutating func encode(_ value: Double, forKey key: Key) throws { node.member(key.stringValue).kind = .double(value) }
    mutating func encode(_ value: Float, forKey key: Key) throws { node.member(key.stringValue).kind = .float(value) }
    mutating func encode(_ value: Int, forKey key: Key) throws { node.member(key.stringValue).kind = .int(Int64(value)) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { node.member(key.stringValue).kind = .int(Int64(value)) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { node.member(key.stringValue).kind = .int(Int64(value)) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { node.member(key.stringValue).kind = .int(Int64(value)) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { node.member(key.stringValue).kind = .int(value) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { node.member(key.stringValue).kind = .unsigned(UInt64(value)) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { node.member(key.stringValue).kind = .unsigned(UInt64(value)) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { node.member(key.stringValue).kind = .unsigned(UInt64(value)) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { node.member(key.stringValue).kind = .unsigned(UInt64(value)) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { node.member(key.stringValue).kind = .unsigned(value) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws { try child(key).box(value) }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type, forKey key: Key
    ) -> KeyedEncodingContainer<NestedKey> {
        child(key).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer { child(key).unkeyedContainer() }
    mutating func superEncoder() -> any Encoder { child(SuperKey()) }
    mutating func superEncoder(forKey key: Key) -> any Encoder { child(key) }
}

private struct UnkeyedContainer: UnkeyedEncodingContainer {
    let node: EncodedNode
    let codingPath: [any CodingKey]
    let dateText: ((Date) -> String)?
    var count: Int { node.items.count }

    private func child() -> TreeEncoder {
        let key = IndexKey(node.items.count)
        return TreeEncoder(node: node.append(), codingPath: codingPath + [key], dateText: dateText)
    }

    mutating func encodeNil() throws { node.append().kind = .null }
    mutating func encode(_ value: Bool) throws { node.append().kind = .bool(value) }
    mutating func encode(_ value: String) throws { node.append().kind = .string(value) }
    mutating func encode(_ value: Double) throws { node.append().kind = .double(value) }
    mutating func encode(_ value: Float) throws { node.append().kind = .float(value) }
    mutating func encode(_ value: Int) throws { node.append().kind = .int(Int64(value)) }
    mutating func encode(_ value: Int8) throws { node.append().kind = .int(Int64(value)) }
    mutating func encode(_ value: Int16) throws { node.append().kind = .int(Int64(value)) }
    mutating func encode(_ value: Int32) throws { node.append().kind = .int(Int64(value)) }
    mutating func encode(_ value: Int64) throws { node.append().kind = .int(value) }
    mutating func encode(_ value: UInt) throws { node.append().kind = .unsigned(UInt64(value)) }
    mutating func encode(_ value: UInt8) throws { node.append().kind = .unsigned(UInt64(value)) }
    mutating func encode(_ value: UInt16) throws { node.append().kind = .unsigned(UInt64(value)) }
    mutating func encode(_ value: UInt32) throws { node.append().kind = .unsigned(UInt64(value)) }
    mutating func encode(_ value: UInt64) throws { node.append().kind = .unsigned(value) }
    mutating func encode<T: Encodable>(_ value: T) throws { try child().box(value) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        child().container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer { child().unkeyedContainer() }
    mutating func superEncoder() -> any Encoder { child() }
}

private struct SingleValueContainer: SingleValueEncodingContainer {
    let encoder: TreeEncoder
    var codingPath: [any CodingKey] { encoder.codingPath }

    mutating func encodeNil() throws { encoder.node.kind = .null }
    mutating func encode(_ value: Bool) throws { encoder.node.kind = .bool(value) }
    mutating func encode(_ value: String) throws { encoder.node.kind = .string(value) }
    mutating func encode(_ value: Double) throws { encoder.node.kind = .double(value) }
    mutating func encode(_ value: Float) throws { encoder.node.kind = .float(value) }
    mutating func encode(_ value: Int) throws { encoder.node.kind = .int(Int64(value)) }
    mutating func encode(_ value: Int8) throws { encoder.node.kind = .int(Int64(value)) }
    mutating func encode(_ value: Int16) throws { encoder.node.kind = .int(Int64(value)) }
    mutating func encode(_ value: Int32) throws { encoder.node.kind = .int(Int64(value)) }
    mutating func encode(_ value: Int64) throws { encoder.node.kind = .int(value) }
    mutating func encode(_ value: UInt) throws { encoder.node.kind = .unsigned(UInt64(value)) }
    mutating func encode(_ value: UInt8) throws { encoder.node.kind = .unsigned(UInt64(value)) }
    mutating func encode(_ value: UInt16) throws { encoder.node.kind = .unsigned(UInt64(value)) }
    mutating func encode(_ value: UInt32) throws { encoder.node.kind = .unsigned(UInt64(value)) }
    mutating func encode(_ value: UInt64) throws { encoder.node.kind = .unsigned(value) }
    mutating func encode<T: Encodable>(_ value: T) throws { try encoder.box(value) }
}
