/// Feedback that cannot be recorded: no decision has the given id (nothing is written).
public struct FeedbackError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The request field at fault (`decision`).
    public var field: String
    public var message: String
    public init(field: String, message: String) { self.field = field; self.message = message }
    public var description: String { message }
}
