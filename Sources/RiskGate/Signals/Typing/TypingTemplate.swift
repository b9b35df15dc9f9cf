/// A user's keystroke-timing template for one field and one sequence length.
///
/// Owned by the typing detector; the fields here are what it learns online from accepted samples.
public struct TypingTemplate: Sendable, Hashable, Codable {
    /// The input field, e.g. `password`.
    public var field: String
    /// Number of keys in the sequences this template covers.
    public var length: Int
    /// Accepted samples learned so far.
    public var count: Int
    /// Per-feature running statistics.
    public var mean: [Double]
    public var m2: [Double]

    public init(field: String, length: Int) {
        self.field = field
        self.length = length
        count = 0
        mean = []
        m2 = []
    }
}
