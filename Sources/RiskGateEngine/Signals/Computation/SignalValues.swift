import RiskGatePolicy

/// The computed signals of one request: one ``Value`` slot per ``Signal``.
///
/// Allocated once per request (or reused via ``reset()``); reads and writes are by slot index.
public struct SignalValues: Sendable, Hashable {
    @usableFromInline var slots: [Value]

    /// All signals unavailable.
    public init() {
        slots = Array(repeating: .unavailable, count: Signal.allCases.count)
    }

    /// The value of a signal.
    @inlinable
    public subscript(_ signal: Signal) -> Value {
        get { slots[signal.rawValue] }
        set { slots[signal.rawValue] = newValue }
    }

    /// Marks every signal unavailable again, keeping the storage.
    public mutating func reset() {
        for i in slots.indices { slots[i] = .unavailable }
    }

    /// The available signals by name, for explanations.
    public var available: [(Signal, Value)] {
        Signal.allCases.compactMap { slots[$0.rawValue].isAvailable ? ($0, slots[$0.rawValue]) : nil }
    }
}
