import RiskGatePolicy

/// What is wrong with a JSON request body, naming the field when there is one.
///
/// The service turns each kind into its error code (`malformed_json`, `invalid_body`,
/// `missing_field`, `invalid_field`, `unknown_field`); the command line prints the message.
package struct JSONBodyError: Error, Sendable, Equatable, CustomStringConvertible {
    package enum Kind: Sendable, Equatable {
        /// Not JSON at all, or nested deeper than allowed.
        case malformed
        /// Valid JSON, but not an object.
        case notAnObject
        /// A required field is absent.
        case missing
        /// A field has the wrong type or value, or is given twice.
        case invalid
        /// A key the body does not define (likely a misspelling).
        case unknown
    }

    package var kind: Kind
    /// The dotted path of the field (`geo.lat`, `kba[0].answer`); `nil` for the body itself.
    package var field: String?
    package var message: String

    package init(_ kind: Kind, field: String? = nil, message: String) {
        self.kind = kind
        self.field = field
        self.message = message
    }

    package var description: String { message }

    /// The error for a failure of ``JSONScanner`` or of a reader built on it, over `bytes`: a
    /// syntax error anywhere makes the body malformed even when a typed reader stopped first at a
    /// field, so a broken body is never blamed on one of its fields.
    package init(_ failure: JSONScanner.Failure, in bytes: UnsafeRawBufferPointer, maxDepth: Int) {
        if let syntax = JSONScanner.syntaxError(in: bytes, maxDepth: maxDepth) {
            self.init(.malformed, message: "not valid JSON: \(syntax.message) (byte \(syntax.column))")
        } else if let field = failure.field {
            let message = failure.expected.map { "`\(field)` must be \(Self.typeName($0))" } ?? failure.message
            self.init(failure.missing ? .missing : .invalid, field: field, message: message)
        } else if !Self.startsWithObject(bytes) {
            self.init(.notAnObject, message: "must be a JSON object")
        } else {
            self.init(.invalid, message: failure.message)
        }
    }

    /// What the scanner expected, as a type: `` `{` `` is an object, `` `[` `` an array.
    private static func typeName(_ expected: String) -> String {
        switch expected {
        case "`{`": "an object"
        case "`[`": "an array"
        default: expected
        }
    }

    private static func startsWithObject(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.first(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D }) == UInt8(ascii: "{")
    }
}
