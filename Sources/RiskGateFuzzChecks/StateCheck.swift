import RiskGateEngine

/// A stored user state blob through ``UserStateCodec/decode(_:)`` (what the SQLite store reads).
///
/// Bytes decode to a state or throw a ``UserStateCodec/DecodingError``. A decoded state encodes to
/// bytes that decode again, and re-encoding that gives equal bytes (the encoding of a state is
/// stable: a store that reads and writes a user back does not drift).
enum StateCheck {
    static func run(_ bytes: UnsafeRawBufferPointer, _ f: inout Findings) {
        let state: UserState
        do {
            state = try UserStateCodec.decode(bytes)
        } catch {
            f.require(isMessage(error.description), "decoding error is empty")
            return
        }
        let encoded = UserStateCodec.encode(state)
        do {
            let again = try UserStateCodec.decode(encoded)
            f.require(UserStateCodec.encode(again) == encoded, "re-encoding a decoded state gives other bytes")
        } catch {
            f.fail("the encoding of a decoded state does not decode: \(error)")
        }
    }
}
