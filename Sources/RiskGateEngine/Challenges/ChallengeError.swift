/// A verification request that cannot be processed at all (nothing is counted or written).
public struct ChallengeError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Why the request was refused; compare with the static members (`error.code == .conflict`).
    ///
    /// Wraps a private enum, as `StoreError.Code` (in the store) does, so new codes do not break callers.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        enum Wrapped: Sendable, Hashable { case invalid, notFound, conflict }
        let wrapped: Wrapped
        /// The request itself is unusable: an unknown step kind, a step the challenge does not
        /// have, an oversized response.
        public static let invalid = Code(wrapped: .invalid)
        /// No challenge has this id.
        public static let notFound = Code(wrapped: .notFound)
        /// A well-formed request the challenge's state refuses: a step it is not waiting for, a
        /// step already passed, or a challenge already passed.
        public static let conflict = Code(wrapped: .conflict)

        public var description: String {
            switch wrapped {
            case .invalid: "invalid"
            case .notFound: "not found"
            case .conflict: "conflict"
            }
        }
    }

    public var code: Code
    /// The request field at fault (`challenge`, `step`, `response`).
    public var field: String
    public var message: String
    public init(field: String, message: String, code: Code = .invalid) {
        self.field = field; self.message = message; self.code = code
    }
    public var description: String { message }
}
