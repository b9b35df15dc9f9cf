import RiskGatePolicy

/// A JSON object read by ``JSONScanner``, with typed access that names the offending field in
/// every error: how the service reads its small request bodies (challenge answers, feedback,
/// accounts) and how the decision body finds the key it does not know.
///
/// `null` counts as absent for optional fields and as the wrong type for required ones.
package struct JSONObjectReader: Sendable {
    package let members: [String: JSONValue]
    /// Where this object sits in the body: `""` for the body itself, `kba[0]` for a nested one.
    package let path: String

    package init(members: [String: JSONValue], path: String = "") {
        self.members = members
        self.path = path
    }

    /// Reads `bytes` as one JSON object, refusing a top-level key given twice (JSON readers
    /// disagree on which value wins).
    ///
    /// - Throws: ``JSONBodyError``: `malformed` for text that is not JSON or nests deeper than
    ///   `maxDepth`, `notAnObject`, or `invalid` for a key given twice.
    package init(parsing bytes: UnsafeRawBufferPointer, maxDepth: Int) throws(JSONBodyError) {
        var s = JSONScanner(bytes, maxDepth: maxDepth)
        var members: [String: JSONValue] = [:]
        do throws(JSONScanner.Failure) {
            try s.beginObject()
            var first = true
            while let key = try s.nextMember(first: &first) {
                let name = s.string(of: key)
                guard members[name] == nil else {
                    throw JSONScanner.Failure(message: "`\(name)` is given twice", column: s.position, duplicateKey: name, field: name)
                }
                members[name] = try s.readValue(depth: 1)
            }
            guard s.atEnd() else { throw s.failure("unexpected text after the JSON value") }
        } catch {
            throw JSONBodyError(error, in: bytes, maxDepth: maxDepth)
        }
        self.init(members: members)
    }

    /// The members of `text` when it is a flat JSON object of strings (an outbox message's body),
    /// else `nil`.
    package static func strings(in text: String) -> [String: String]? {
        var text = text
        let members = text.withUTF8 { utf8 in try? JSONObjectReader(parsing: UnsafeRawBufferPointer(utf8), maxDepth: 1).members }
        guard let members else { return nil }
        var strings: [String: String] = [:]
        for (key, value) in members {
            guard case .string(let string) = value else { return nil }
            strings[key] = string
        }
        return strings
    }

    /// The path of member `key` of this object.
    package func path(of key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// Whether `key` is present, even as `null`.
    package func contains(_ key: String) -> Bool { members[key] != nil }

    /// The first key (in byte order) not in `allowed`, as a path.
    package func firstUnknownKey(allowed: Set<String>) -> String? {
        members.keys.filter { !allowed.contains($0) }.min(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }).map(path(of:))
    }

    /// - Throws: ``JSONBodyError`` `unknown` for the first key not in `allowed`.
    package func rejectUnknownKeys(_ allowed: Set<String>) throws(JSONBodyError) {
        if let unknown = firstUnknownKey(allowed: allowed) {
            throw JSONBodyError(.unknown, field: unknown, message: "`\(unknown)` is not a known field")
        }
    }

    // MARK: - Typed members

    /// A required string.
    package func string(_ key: String) throws(JSONBodyError) -> String {
        guard let value = members[key] else { throw missing(key) }
        guard case .string(let text) = value else { throw wrongType(key, value, "a string") }
        return text
    }

    /// A string, or `nil` when absent or `null`.
    package func optionalString(_ key: String) throws(JSONBodyError) -> String? {
        guard let value = present(key) else { return nil }
        guard case .string(let text) = value else { throw wrongType(key, value, "a string") }
        return text
    }

    /// An integer (a JSON number without a fraction, within ±2⁵³), or `nil` when absent or `null`.
    package func optionalInt(_ key: String) throws(JSONBodyError) -> Int? {
        guard let value = present(key) else { return nil }
        guard case .number(let number) = value, number == number.rounded(), abs(number) <= 9_007_199_254_740_992 else {
            throw wrongType(key, value, "an integer")
        }
        return Int(number)
    }

    /// `true` or `false`, or `nil` when absent or `null`.
    package func optionalBool(_ key: String) throws(JSONBodyError) -> Bool? {
        guard let value = present(key) else { return nil }
        guard case .bool(let flag) = value else { throw wrongType(key, value, "true or false") }
        return flag
    }

    /// A required integer.
    package func int(_ key: String) throws(JSONBodyError) -> Int {
        guard let value = try optionalInt(key) else { throw absent(key, "an integer") }
        return value
    }

    /// A required number.
    package func number(_ key: String) throws(JSONBodyError) -> Double {
        guard let value = try optionalNumber(key) else { throw absent(key, "a number") }
        return value
    }

    /// A number, or `nil` when absent or `null`.
    package func optionalNumber(_ key: String) throws(JSONBodyError) -> Double? {
        guard let value = present(key) else { return nil }
        guard case .number(let number) = value else { throw wrongType(key, value, "a number") }
        return number
    }

    /// A required `true` or `false`.
    package func bool(_ key: String) throws(JSONBodyError) -> Bool {
        guard let value = try optionalBool(key) else { throw absent(key, "true or false") }
        return value
    }

    /// A required array of strings.
    package func strings(_ key: String) throws(JSONBodyError) -> [String] {
        guard let value = try optionalStrings(key) else { throw absent(key, "an array") }
        return value
    }

    /// A required object.
    package func object(_ key: String) throws(JSONBodyError) -> JSONObjectReader {
        guard let value = try optionalObject(key) else { throw absent(key, "an object") }
        return value
    }

    /// A required array of objects.
    package func objects(_ key: String) throws(JSONBodyError) -> [JSONObjectReader] {
        guard let value = try optionalObjects(key) else { throw absent(key, "an array") }
        return value
    }

    /// An array of integers, or `nil` when absent or `null`.
    package func optionalInts(_ key: String) throws(JSONBodyError) -> [Int]? {
        guard let value = present(key) else { return nil }
        guard case .array(let items) = value else { throw wrongType(key, value, "an array") }
        var ints: [Int] = []
        ints.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            guard case .number(let number) = item, number == number.rounded(), abs(number) <= 9_007_199_254_740_992 else {
                throw wrongType("\(key)[\(index)]", item, "an integer")
            }
            ints.append(Int(number))
        }
        return ints
    }

    /// An array of bytes (integers 0–255, as `JSONEncoder` writes `[UInt8]`), or `nil` when absent or `null`.
    package func optionalBytes(_ key: String) throws(JSONBodyError) -> [UInt8]? {
        guard let ints = try optionalInts(key) else { return nil }
        guard let bad = ints.firstIndex(where: { !(0...255).contains($0) }) else { return ints.map { UInt8($0) } }
        throw JSONBodyError(.invalid, field: path(of: "\(key)[\(bad)]"), message: "`\(path(of: "\(key)[\(bad)]"))` must be a byte (0 to 255)")
    }

    /// A required string naming a case of `T`.
    package func rawValue<T: RawRepresentable>(_ key: String, as type: T.Type) throws(JSONBodyError) -> T where T.RawValue == String {
        guard let value = try optionalRawValue(key, as: type) else { throw absent(key, "a string") }
        return value
    }

    /// A string naming a case of `T`, or `nil` when absent or `null`.
    package func optionalRawValue<T: RawRepresentable>(_ key: String, as type: T.Type) throws(JSONBodyError) -> T? where T.RawValue == String {
        guard let text = try optionalString(key) else { return nil }
        guard let value = T(rawValue: text) else {
            throw JSONBodyError(.invalid, field: path(of: key), message: "`\(path(of: key))` has an unknown value `\(text.prefix(64))`")
        }
        return value
    }

    /// An array of strings, or `nil` when absent or `null`.
    package func optionalStrings(_ key: String) throws(JSONBodyError) -> [String]? {
        guard let value = present(key) else { return nil }
        guard case .array(let items) = value else { throw wrongType(key, value, "an array") }
        var strings: [String] = []
        strings.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            guard case .string(let text) = item else { throw wrongType("\(key)[\(index)]", item, "a string") }
            strings.append(text)
        }
        return strings
    }

    /// An object, or `nil` when absent or `null`.
    package func optionalObject(_ key: String) throws(JSONBodyError) -> JSONObjectReader? {
        guard let value = present(key) else { return nil }
        guard case .object(let object) = value else { throw wrongType(key, value, "an object") }
        return JSONObjectReader(members: object, path: path(of: key))
    }

    /// An array of objects, or `nil` when absent or `null`.
    package func optionalObjects(_ key: String) throws(JSONBodyError) -> [JSONObjectReader]? {
        guard let value = present(key) else { return nil }
        guard case .array(let items) = value else { throw wrongType(key, value, "an array") }
        var objects: [JSONObjectReader] = []
        objects.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            guard case .object(let object) = item else { throw wrongType("\(key)[\(index)]", item, "an object") }
            objects.append(JSONObjectReader(members: object, path: path(of: "\(key)[\(index)]")))
        }
        return objects
    }

    // MARK: - Errors

    private func present(_ key: String) -> JSONValue? {
        guard let value = members[key], value != .null else { return nil }
        return value
    }

    /// A required member that is absent (missing) or `null` (the wrong type).
    private func absent(_ key: String, _ expected: String) -> JSONBodyError {
        members[key] == nil ? missing(key) : wrongType(key, .null, expected)
    }

    private func missing(_ key: String) -> JSONBodyError {
        let field = path(of: key)
        return JSONBodyError(.missing, field: field, message: "missing `\(field)`")
    }

    private func wrongType(_ key: String, _ value: JSONValue, _ expected: String) -> JSONBodyError {
        let field = path(of: key)
        let suffix = value == .null ? ", not null" : ""
        return JSONBodyError(.invalid, field: field, message: "`\(field)` must be \(expected)\(suffix)")
    }
}
