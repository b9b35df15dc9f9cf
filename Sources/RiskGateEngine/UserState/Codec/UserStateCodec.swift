import Foundation
import RiskGatePolicy

/// A compact binary encoding of ``UserState``, for keeping many users in memory (replay) and for
/// storing one user as a blob (SQLite's `users.history`, PostgreSQL's `users.state`).
///
/// Why not JSON: a replay of a million users holds every user's state at once, and the JSON (or
/// the decoded value with its many small arrays) costs several kilobytes a user. This format is
/// about a fifth of that and decodes without a parser.
///
/// Layout (all integers little-endian): byte 0 is the format version (``version``); then the
/// profile, logins, devices, typing templates, failures, lock state and model counts, in the order
/// of ``UserState``'s properties. Counts and lengths are LEB128 varints; signed integers are
/// zigzag varints; a model entry's parent is a distance back to the entry with that key when there
/// is one; dates are `timeIntervalSinceReferenceDate` as a raw 64-bit `Double`. Numbers that are
/// usually whole (ASN, accuracy, typing timings in ms) are written as a zigzag varint when they are
/// exactly an integer below 2⁵³ (and not −0), else as a marker and the raw `Double`, so every value
/// round-trips bit for bit. A login whose coordinates equal the previous login's sets a flag
/// instead of repeating them. A typing template's samples and genuine scores are each written
/// column by column in ascending order with the ring slot of every value (`RingColumnCoding.swift`),
/// so decoding rebuilds the sorted order the statistics need without sorting. A string is its
/// UTF-8 bytes after a varint length, or a reference to a string with the same bytes written
/// earlier in the same record (a user's logins repeat the same user agent and device id; the writer
/// refers back to the first 32 such strings); nothing is shared between records.
///
/// The profile's flags byte says what optional parts follow: bit 0 a partial secret (after the KBA
/// answers), bit 1 a push device (after the trusted devices); other bits are invalid.
///
/// Decoding checks every length against the bytes left and every part as the JSON decoding checks
/// it, so truncated or corrupt bytes throw ``DecodingError`` and never crash.
///
/// The parts: this file (the entry points), `UserStateWriter` (appending), `UserStateReader`
/// (reading and checking), `RingColumnCoding.swift` (typing rings), ``DecodingError``.
package enum UserStateCodec {
    /// The format version written as the first byte, and the only one read. It is 3 because
    /// versions 1 and 2 were development formats that were never released.
    package static let version: UInt8 = 3

    /// `d` as an integer when it is a whole number of magnitude below 2⁵³, else `nil`.
    @inline(__always)
    static func smallWhole(_ d: Double) -> Int64? {
        // As `Int64(exactly:)` (−0 gives 0), without its call to `trunc`; NaN fails the range check.
        guard abs(d) < 9_007_199_254_740_992 else { return nil }
        let v = Int64(d)
        return Double(v) == d ? v : nil
    }

    /// `v` zigzag-encoded: small magnitudes of either sign become small unsigned numbers.
    @inline(__always)
    static func zigzag(_ v: Int64) -> UInt64 { UInt64(bitPattern: (v << 1) ^ (v >> 63)) }

    /// The inverse of ``zigzag(_:)``.
    @inline(__always)
    static func unzigzag(_ z: UInt64) -> Int64 { Int64(bitPattern: (z >> 1) ^ (0 &- (z & 1))) }

    /// The encoded bytes of `state`.
    package static func encode(_ state: UserState) -> [UInt8] {
        var w = UserStateWriter(capacity: 4096)
        return encode(state, with: &w) { Array($0) }
    }

    /// Replaces `buffer`'s contents with the encoded bytes of `state`, reusing its storage.
    package static func encode(_ state: UserState, into buffer: inout [UInt8]) {
        withEncoded(state) { bytes in
            buffer.removeAll(keepingCapacity: true)
            buffer.append(contentsOf: bytes)
        }
    }

    /// Calls `body` with the encoded bytes of `state`, valid only during the call (no copy is made).
    package static func withEncoded<R>(_ state: UserState, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        // Most states fit: growing a smaller buffer twice (copying it each time) cost more than this allocation.
        var w = UserStateWriter(capacity: 4096)
        return try encode(state, with: &w, body)
    }

    /// As ``withEncoded(_:_:)``, encoding into `scratch`'s buffer (grown when a state needs more)
    /// instead of a new one: a replay encodes a state on nearly every event.
    package static func withEncoded<R>(_ state: UserState, scratch: EncodingScratch,
                                       _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        var w = UserStateWriter(scratch: scratch)
        defer { w.returnBuffer(to: scratch) }
        return try encode(state, with: &w, body)
    }

    private static func encode<R>(_ state: UserState, with w: inout UserStateWriter,
                                  _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        w.byte(version)
        w.profile(state.profile)
        w.count(state.logins.count)
        state.logins.withUnsafeBufferPointer { logins in
            for i in logins.indices { w.login(logins.baseAddress! + i) }
        }
        w.count(state.devices.count)
        for device in state.devices {
            w.string(device.id)
            w.date(device.firstSeen)
            w.date(device.lastSeen)
            w.signed(device.count)
        }
        w.count(state.typing.count)
        state.typing.withUnsafeBufferPointer { templates in
            for i in templates.indices { w.template(templates.baseAddress! + i) }
        }
        w.count(state.failures.count)
        for failure in state.failures { w.date(failure) }
        w.count(state.familiarFailures.count)
        for failure in state.familiarFailures { w.date(failure) }
        w.optionalDate(state.lockedUntil)
        w.optionalDate(state.familiarLockedUntil)
        w.signed(state.lockouts)
        w.signed(state.familiarLockouts)
        w.byte(state.banned ? 1 : 0)
        w.model(state.model)
        return try body(UnsafeBufferPointer(start: w.base, count: w.used))
    }

    /// The state encoded in `bytes`.
    ///
    /// - Throws: ``DecodingError`` when the bytes are of another version, truncated or corrupt.
    package static func decode(_ bytes: some ContiguousBytes) throws(DecodingError) -> UserState {
        let result: Result<UserState, DecodingError> = bytes.withUnsafeBytes { raw in
            do throws(DecodingError) { return .success(try decode(raw)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// The state encoded in `raw`.
    ///
    /// - Throws: ``DecodingError`` when the bytes are of another version, truncated or corrupt.
    package static func decode(_ raw: UnsafeRawBufferPointer) throws(DecodingError) -> UserState {
        var r = UserStateReader(raw: raw)
        let v = try r.byte()
        guard v == version else { throw .unsupportedVersion(v) }
        var state = UserState(profile: try r.profile())
        let logins = try r.count()
        state.logins.reserveCapacity(logins)
        for _ in 0..<logins { state.logins.append(try r.login()) }
        let devices = try r.count()
        state.devices.reserveCapacity(devices)
        for _ in 0..<devices {
            state.devices.append(DeviceRecord(id: try r.string(), firstSeen: try r.date(), lastSeen: try r.date(),
                                              count: try r.signed()))
        }
        let templates = try r.count()
        state.typing.reserveCapacity(templates)
        for _ in 0..<templates { state.typing.append(try r.template()) }
        let failures = try r.count()
        state.failures.reserveCapacity(failures)
        for _ in 0..<failures { state.failures.append(try r.date()) }
        let familiarFailures = try r.count()
        state.familiarFailures.reserveCapacity(familiarFailures)
        for _ in 0..<familiarFailures { state.familiarFailures.append(try r.date()) }
        state.lockedUntil = try r.optionalDate()
        state.familiarLockedUntil = try r.optionalDate()
        state.lockouts = try r.signed()
        state.familiarLockouts = try r.signed()
        switch try r.byte() {
        case 0: state.banned = false
        case 1: state.banned = true
        default: throw .invalid("banned flag", offset: r.offset - 1)
        }
        state.model = try r.model()
        guard r.offset == raw.count else { throw .invalid("trailing bytes", offset: r.offset) }
        return state
    }
}
