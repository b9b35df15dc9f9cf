import Foundation
import RiskGatePolicy

/// A compact, versioned binary encoding of ``UserState``, for keeping many users in memory (replay)
/// and for storing one user as a blob.
///
/// Why not JSON: a replay of a million users holds every user's state at once, and the JSON (or
/// the decoded value with its many small arrays) costs several kilobytes a user. This format is
/// about a fifth of that and decodes without a parser.
///
/// Layout (all integers little-endian): byte 0 is the format version (``version``); then the
/// profile, logins, devices, typing templates, failures, lock state and model counts, in the order
/// of ``UserState``'s properties. Counts and lengths are LEB128 varints; signed integers are
/// zigzag varints; a model entry's parent is a distance back to the entry with that key when there is one; dates are `timeIntervalSinceReferenceDate` as a raw 64-bit `Double`. Numbers
/// that are usually whole (ASN, accuracy, typing timings in ms) are written as a zigzag varint when
/// they are exactly an integer below 2⁵³ (and not −0), else as a marker and the raw `Double`, so
/// every value round-trips bit for bit. A login whose coordinates equal the previous login's
/// sets a flag instead of repeating them. A typing template's samples and genuine scores are each
/// written column by column in ascending order with the ring slot of every value (a byte each, or
/// since version 3 two a byte for rings of at most 16 rows) (`Writer.ring(_:)`), so decoding
/// rebuilds the sorted order the statistics need without sorting (versions 1 and 2 are still
/// read). A string is its UTF-8 bytes after a varint length, or a reference to a string with the
/// same bytes written earlier in the same record (a user's logins repeat the same user agent and
/// device id; the writer refers back to the first 32 such strings); nothing is shared between records.
///
/// The profile's flags byte says what optional parts follow: bit 0 a partial secret (after the KBA
/// answers), bit 1 a push device (after the trusted devices); other bits are invalid.
///
/// Decoding checks every length against the bytes left and every part as the JSON decoding checks
/// it, so truncated or corrupt bytes throw ``DecodingError`` and never crash.
package enum UserStateCodec {
    /// The format version written as the first byte. Version 1 (still read) stored typing
    /// templates as rows plus their medians; version 2 (still read) stores each column in sorted
    /// order with a byte per slot; version 3 packs the slots of a ring of at most 16 rows two to
    /// a byte (the usual template), which makes the states of a large replay ~9 % smaller.
    package static let version: UInt8 = 3

    /// Most rows of a ring whose slots version 3 writes as 4-bit nibbles.
    static let nibbleSlotRows = 16

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

    /// Why bytes could not be decoded.
    package enum DecodingError: Error, Hashable, CustomStringConvertible {
        /// The first byte names a format this build does not read.
        case unsupportedVersion(UInt8)
        /// The bytes end before the state does.
        case truncated(offset: Int)
        /// A part is malformed (`what` names it).
        case invalid(String, offset: Int)

        package var description: String {
            switch self {
            case .unsupportedVersion(let v): "user state format version `\(v)` is not supported (expected \(UserStateCodec.version))"
            case .truncated(let offset): "user state bytes end early at offset \(offset)"
            case .invalid(let what, let offset): "user state has an invalid \(what) at offset \(offset)"
            }
        }
    }

    /// The encoded bytes of `state`.
    package static func encode(_ state: UserState) -> [UInt8] {
        encode(state, version: version)
    }

    /// The bytes of `state` in format `version` (2 or the current one): for tests that older
    /// formats are still read.
    package static func encode(_ state: UserState, version: UInt8) -> [UInt8] {
        precondition(version == 2 || version == Self.version, "format version \(version) is not written")
        var w = Writer(capacity: 4096)
        w.version = version
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
        var w = Writer(capacity: 4096)
        return try encode(state, with: &w, body)
    }

    /// As ``withEncoded(_:_:)``, encoding into `scratch`'s buffer (grown when a state needs more)
    /// instead of a new one: a replay encodes a state on nearly every event.
    package static func withEncoded<R>(_ state: UserState, scratch: EncodingScratch,
                                       _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        var w = Writer(scratch: scratch)
        defer { w.returnBuffer(to: scratch) }
        return try encode(state, with: &w, body)
    }

    private static func encode<R>(_ state: UserState, with w: inout Writer,
                                  _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        w.byte(w.version)
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
        var r = Reader(raw: raw)
        let v = try r.byte()
        guard (1...version).contains(v) else { throw .unsupportedVersion(v) }
        r.version = v
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

// MARK: - Writing

/// A reusable buffer for ``UserStateCodec/withEncoded(_:scratch:_:)``; one per thread of work
/// (it is not shared between threads).
package final class EncodingScratch {
    fileprivate var base: UnsafeMutablePointer<UInt8>
    fileprivate var capacity: Int

    /// A buffer of `capacity` bytes (most states fit 4 KiB).
    package init(capacity: Int = 4096) {
        self.capacity = max(64, capacity)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }
}

/// Appends to its own growing buffer through a pointer: appending byte by byte to an `Array`
/// checks uniqueness and capacity on every byte, which was most of the encoding's cost.
private struct Writer: ~Copyable {
    private(set) var base: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private(set) var used = 0
    /// Where the bytes of the first ``maxReferencedStrings`` non-empty strings written in full in
    /// this record start in the buffer, and their lengths, for back-references. Offsets rather
    /// than the strings themselves: no array to allocate and no string to retain per record.
    private var stringOffsets = StringTable(repeating: 0)
    private var stringLengths = StringTable(repeating: 0)
    /// Entries of ``stringOffsets`` and ``stringLengths`` in use.
    private var stringCount = 0
    private typealias StringTable = InlineArray<32, Int>
    /// Most strings a record can refer back to (a record has a few: country, user agent, device id,
    /// typing field); later ones are written in full, which the format allows.
    static let maxReferencedStrings = StringTable.count

    /// Whether `base` is this writer's to free (not a scratch buffer's).
    private var owned = true
    /// The format version written (tests write older ones).
    var version = UserStateCodec.version

    init(capacity: Int) {
        self.capacity = max(64, capacity)
        base = .allocate(capacity: self.capacity)
    }

    /// A writer that uses `scratch`'s buffer until ``returnBuffer(to:)``.
    init(scratch: EncodingScratch) {
        capacity = scratch.capacity
        base = scratch.base
        owned = false
    }

    /// Hands the (possibly grown) buffer back to `scratch`; the writer must not be used after.
    mutating func returnBuffer(to scratch: EncodingScratch) {
        scratch.base = base
        scratch.capacity = capacity
        used = 0
    }

    deinit { if owned { base.deallocate() } }

    /// Makes room for `n` more bytes.
    @inline(__always)
    mutating func reserve(_ n: Int) {
        guard used + n > capacity else { return }
        let grown = max(capacity * 2, used + n)
        let next = UnsafeMutablePointer<UInt8>.allocate(capacity: grown)
        next.update(from: base, count: used)
        base.deallocate()
        base = next
        capacity = grown
    }

    mutating func byte(_ b: UInt8) {
        reserve(1)
        base[used] = b
        used += 1
    }

    mutating func varint(_ value: UInt64) {
        reserve(10)
        var out = base + used
        Writer.put(varint: value, at: &out)
        used = out - base
    }

    /// Writes `value` as a LEB128 varint at `out` (which must have room for 10 bytes) and moves past it.
    @inline(__always)
    static func put(varint value: UInt64, at out: inout UnsafeMutablePointer<UInt8>) {
        var v = value
        while v >= 0x80 {
            out.pointee = UInt8(truncatingIfNeeded: v) | 0x80
            out += 1
            v >>= 7
        }
        out.pointee = UInt8(v)
        out += 1
    }

    mutating func count(_ n: Int) { varint(UInt64(n)) }

    mutating func signed(_ n: Int) {
        varint(UserStateCodec.zigzag(Int64(n)))
    }

    mutating func fixed64(_ value: UInt64) {
        reserve(8)
        UnsafeMutableRawPointer(base + used).storeBytes(of: value.littleEndian, as: UInt64.self)
        used += 8
    }

    mutating func fixed32(_ value: UInt32) {
        reserve(4)
        UnsafeMutableRawPointer(base + used).storeBytes(of: value.littleEndian, as: UInt32.self)
        used += 4
    }

    mutating func raw(_ bytes: UnsafeBufferPointer<UInt8>) {
        reserve(bytes.count)
        if let source = bytes.baseAddress { (base + used).update(from: source, count: bytes.count) }
        used += bytes.count
    }

    mutating func double(_ d: Double) { fixed64(d.bitPattern) }
    mutating func date(_ d: Date) { double(d.timeIntervalSinceReferenceDate) }

    mutating func optionalDate(_ d: Date?) {
        if let d { byte(1); date(d) } else { byte(0) }
    }

    /// A whole number below 2⁵³ as `zigzag << 1` (even), anything else as `1` and the raw bits.
    mutating func number(_ d: Double) {
        if !whole(d) {
            byte(1)
            double(d)
        }
    }

    /// Writes `d` as `zigzag << 1` when it is a whole number below 2⁵³ (and not −0); false otherwise.
    @inline(__always)
    mutating func whole(_ d: Double) -> Bool {
        guard let v = UserStateCodec.smallWhole(d), v != 0 || d.sign == .plus else { return false }
        varint(UserStateCodec.zigzag(v) << 1)
        return true
    }

    /// A string as `length << 1` and its UTF-8, or `index << 1 | 1` for one with the same bytes
    /// already written in full (the `index`-th non-empty such string of the record).
    mutating func string(_ s: String) {
        var s = s
        s.withUTF8 { bytes in
            let length = bytes.count
            if length > 0 {
                for i in 0..<stringCount where stringLengths[i] == length {
                    if Writer.sameBytes(base + stringOffsets[i], bytes.baseAddress!, count: length) {
                        varint(UInt64(i) << 1 | 1)
                        return
                    }
                }
            }
            varint(UInt64(length) << 1)
            // Every non-empty string written in full takes the reader's next index, so the table
            // stays in step with it for as long as it has room.
            if length > 0 && stringCount < Writer.maxReferencedStrings {
                stringOffsets[stringCount] = used
                stringLengths[stringCount] = length
                stringCount += 1
            }
            raw(bytes)
        }
    }

    /// Whether the `count` bytes at `a` and `b` are equal: eight at a time, inline (the strings
    /// compared are short, where a call to `memcmp` cost more than the comparison).
    @inline(__always)
    static func sameBytes(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, count: Int) -> Bool {
        let x = UnsafeRawPointer(a), y = UnsafeRawPointer(b)
        var i = 0
        while i + 8 <= count {
            guard x.loadUnaligned(fromByteOffset: i, as: UInt64.self) == y.loadUnaligned(fromByteOffset: i, as: UInt64.self) else { return false }
            i += 8
        }
        while i < count {
            guard a[i] == b[i] else { return false }
            i += 1
        }
        return true
    }

    mutating func optionalString(_ s: String?) {
        if let s { byte(1); string(s) } else { byte(0) }
    }

    mutating func blob(_ b: [UInt8]) {
        count(b.count)
        b.withUnsafeBufferPointer { raw($0) }
    }

    mutating func profile(_ p: AccountProfile) {
        byte(p.known ? 1 : 0)
        optionalString(p.homeCountry)
        optionalString(p.phone)
        optionalString(p.email)
        optionalDate(p.createdAt)
        count(p.kba.count)
        for answer in p.kba {
            string(answer.question)
            string(answer.keyID)
            string(answer.hash)
        }
        // Bit 0: a partial secret follows; bit 1: a push device follows the trusted devices.
        byte((p.partialSecret == nil ? 0 : 1) | (p.pushDevice == nil ? 0 : 2))
        if let sealed = p.partialSecret {
            string(sealed.keyID)
            blob(sealed.box)
        }
        count(p.trustedDevices.count)
        for device in p.trustedDevices { string(device) }
        if let push = p.pushDevice {
            string(push.id)
            blob(push.publicKey)
        }
    }

    /// The previous login's coordinates, for ``login(_:)``.
    private var lastPosition: (lat: UInt64, lon: UInt64)?

    /// Writes the login at `l`: read through a pointer, because passing the record copied it (a
    /// retain and release of each of its strings) on every login of every encoded state.
    mutating func login(_ l: UnsafePointer<LoginRecord>) {
        var flags: UInt16 = 0
        if let ip = l.pointee.ip { flags |= ip.isV4 ? 0x01 : 0x02 }
        if l.pointee.country != nil { flags |= 0x04 }
        if l.pointee.asn != nil { flags |= 0x08 }
        if l.pointee.lat != nil { flags |= 0x10 }
        if l.pointee.lon != nil { flags |= 0x20 }
        if l.pointee.accuracyKm != nil { flags |= 0x40 }
        if l.pointee.anonymous { flags |= 0x80 }
        if l.pointee.userAgent != nil { flags |= 0x100 }
        if l.pointee.deviceId != nil { flags |= 0x200 }
        if !l.pointee.isLogin { flags |= 0x800 }
        // A user mostly logs in from the same place: coordinates equal (bit for bit) to the
        // previous login's are a flag instead of 16 bytes.
        var position: (lat: UInt64, lon: UInt64)?
        if let lat = l.pointee.lat, let lon = l.pointee.lon {
            let here = (lat: lat.bitPattern, lon: lon.bitPattern)
            if let last = lastPosition, last == here { flags |= 0x400 }
            position = here
        }
        lastPosition = position
        varint(UInt64(flags))
        date(l.pointee.time)
        if let ip = l.pointee.ip {
            if ip.isV4 {
                fixed32(UInt32(truncatingIfNeeded: ip.low))
            } else {
                fixed64(ip.high)
                fixed64(ip.low)
            }
        }
        if let country = l.pointee.country { string(country) }
        if let asn = l.pointee.asn { number(asn) }
        if flags & 0x400 == 0 {
            if let lat = l.pointee.lat { double(lat) }
            if let lon = l.pointee.lon { double(lon) }
        }
        if let accuracy = l.pointee.accuracyKm { number(accuracy) }
        if let agent = l.pointee.userAgent { string(agent) }
        if let device = l.pointee.deviceId { string(device) }
    }

    /// Writes the template at `t` (through a pointer, like ``login(_:)``, so it is not copied).
    mutating func template(_ t: UnsafePointer<TypingTemplate>) {
        string(t.pointee.field)
        signed(t.pointee.length)
        signed(t.pointee.count)
        ring(t.pointee.ring)
        ring(t.pointee.scores)
    }

    /// A ring as its row count, its oldest slot, then column by column the values in ascending
    /// order (each as a difference from the one before when both are whole, mostly one byte) and
    /// the slot each came from (one byte each). Decoding needs no sort and no median.
    mutating func ring(_ r: RankedRing) {
        count(r.rowCount)
        guard r.rowCount > 0 else { return }
        count(r.head)
        let n = r.rowCount
        r.withColumns { columns in
            for column in 0..<columns.width {
                // Room for the column at its largest (10 bytes a value, one a slot), then written
                // through a local pointer without a capacity check per byte.
                reserve(n * 11)
                var out = base + used
                // The previous value as an integer, while it is a whole number (the usual case).
                var previous: Int64 = 0
                var previousIsWhole = true
                for rank in 0..<n {
                    let value = columns.sorted(rank, column)
                    let whole = UserStateCodec.smallWhole(value)
                    if previousIsWhole, let v = whole, v != 0 || value.sign == .plus {
                        Writer.put(varint: UserStateCodec.zigzag(v - previous) << 1, at: &out)
                    } else {
                        out.pointee = 1
                        UnsafeMutableRawPointer(out + 1).storeBytes(of: value.bitPattern.littleEndian, as: UInt64.self)
                        out += 9
                    }
                    previous = whole ?? 0
                    previousIsWhole = whole != nil
                }
                let slots = columns.slots(column)
                if version >= 3 && n <= UserStateCodec.nibbleSlotRows {
                    // Two slots a byte, the first in the low nibble; an odd last one has a zero high nibble.
                    var rank = 0
                    while rank + 1 < n {
                        out.pointee = slots[rank] | slots[rank + 1] << 4
                        out += 1
                        rank += 2
                    }
                    if rank < n {
                        out.pointee = slots[rank]
                        out += 1
                    }
                } else {
                    out.update(from: slots, count: n)
                    out += n
                }
                used = out - base
            }
        }
    }

    mutating func model(_ m: UserModelCounts) {
        signed(m.total)
        count(m.entries.count)
        for (i, e) in m.entries.enumerated() {
            fixed64(e.key)
            // A parent is mostly the key of an earlier entry (the level above): its distance back
            // instead of 8 bytes; 0 means the raw key follows.
            // The entry just before is the usual parent (a new value's levels are added in order).
            if let j = i > 0 && m.entries[i - 1].key == e.parent ? i - 1 : m.entries[..<i].lastIndex(where: { $0.key == e.parent }) {
                varint(UInt64(i - j))
            } else {
                byte(0)
                fixed64(e.parent)
            }
            varint(UInt64(e.count))
            varint(UInt64(e.last))
            byte(e.level)
        }
    }
}

// MARK: - Reading

private struct Reader {
    let raw: UnsafeRawBufferPointer
    var offset = 0
    /// Strings read so far in this record, for back-references.
    var strings: [String] = []
    /// The format version of the record.
    var version = UserStateCodec.version

    init(raw: UnsafeRawBufferPointer) {
        self.raw = raw
        // A record has a few strings (country, user agent, device id, typing field): one allocation.
        strings.reserveCapacity(8)
    }

    var remaining: Int { raw.count - offset }

    @inline(__always)
    mutating func byte() throws(UserStateCodec.DecodingError) -> UInt8 {
        guard offset < raw.count else { throw .truncated(offset: offset) }
        defer { offset += 1 }
        return raw[offset]
    }

    @inline(__always)
    mutating func varint() throws(UserStateCodec.DecodingError) -> UInt64 {
        // Fast paths: a one-byte varint (most counts, flags and small numbers), a two-byte one.
        if offset + 1 < raw.count, let (value, length) = Self.shortVarint(at: raw.baseAddress! + offset) {
            offset += length
            return value
        } else if offset < raw.count, raw[offset] < 0x80 {
            offset += 1
            return UInt64(raw[offset - 1])
        }
        return try longVarint()
    }

    /// The varint of one or two bytes at `bytes` (both must be readable) and its length; `nil`
    /// when it is longer.
    @inline(__always)
    static func shortVarint(at bytes: UnsafeRawPointer) -> (value: UInt64, length: Int)? {
        let first = UInt64(bytes.load(as: UInt8.self))
        if first < 0x80 { return (first, 1) }
        let second = UInt64(bytes.load(fromByteOffset: 1, as: UInt8.self))
        guard second < 0x80 else { return nil }
        return ((first & 0x7f) | second << 7, 2)
    }

    mutating func longVarint() throws(UserStateCodec.DecodingError) -> UInt64 {
        let start = offset
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = try byte()
            guard shift < 64, shift < 63 || b <= 1 else { throw .invalid("varint", offset: start) }
            value |= UInt64(b & 0x7f) << shift
            if b < 0x80 { return value }
            shift += 7
        }
    }

    /// A count of items each at least `minimumSize` bytes long, so it can never exceed what is left.
    mutating func count(minimumSize: Int = 1) throws(UserStateCodec.DecodingError) -> Int {
        let start = offset
        let v = try varint()
        guard v <= UInt64(remaining / max(1, minimumSize)) else { throw .invalid("count", offset: start) }
        return Int(v)
    }

    mutating func signed() throws(UserStateCodec.DecodingError) -> Int {
        Int(UserStateCodec.unzigzag(try varint()))
    }

    mutating func fixed64() throws(UserStateCodec.DecodingError) -> UInt64 {
        guard remaining >= 8 else { throw .truncated(offset: offset) }
        let v = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
        offset += 8
        return v
    }

    mutating func double() throws(UserStateCodec.DecodingError) -> Double { Double(bitPattern: try fixed64()) }

    mutating func date() throws(UserStateCodec.DecodingError) -> Date {
        Date(timeIntervalSinceReferenceDate: try double())
    }

    mutating func flag() throws(UserStateCodec.DecodingError) -> Bool {
        switch try byte() {
        case 0: return false
        case 1: return true
        default: throw .invalid("presence flag", offset: offset - 1)
        }
    }

    mutating func optionalDate() throws(UserStateCodec.DecodingError) -> Date? {
        try flag() ? try date() : nil
    }

    mutating func number() throws(UserStateCodec.DecodingError) -> Double {
        try number(halves: false)
    }

    mutating func half() throws(UserStateCodec.DecodingError) -> Double {
        try number(halves: true)
    }

    mutating func number(halves: Bool) throws(UserStateCodec.DecodingError) -> Double {
        let start = offset
        let v = try varint()
        if v == 1 { return try double() }
        guard v & 1 == 0 else { throw .invalid("number", offset: start) }
        let n = Double(UserStateCodec.unzigzag(v >> 1))
        return halves ? n / 2 : n
    }

    mutating func string() throws(UserStateCodec.DecodingError) -> String {
        let start = offset
        let v = try varint()
        if v & 1 == 1 {
            let index = v >> 1
            guard index < UInt64(strings.count) else { throw .invalid("string reference", offset: start) }
            return strings[Int(index)]
        }
        let length = v >> 1
        guard length <= UInt64(remaining) else { throw .truncated(offset: start) }
        guard length > 0, let base = raw.baseAddress else { return "" }
        let bytes = UnsafeBufferPointer(start: (base + offset).assumingMemoryBound(to: UInt8.self), count: Int(length))
        // ASCII (nearly every string here) is valid UTF-8 as it is: `String(decoding:)` takes it
        // without the generic validation (~1 % of a replay); anything else is validated.
        let s: String
        if Reader.isASCII(bytes) {
            s = String(decoding: bytes, as: UTF8.self)
        } else {
            guard let valid = String(validating: bytes, as: UTF8.self) else { throw .invalid("UTF-8 string", offset: start) }
            s = valid
        }
        offset += Int(length)
        strings.append(s)
        return s
    }

    /// Whether every byte is below 0x80 (eight at a time).
    static func isASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let start = bytes.baseAddress else { return true }
        let raw = UnsafeRawPointer(start)
        var i = 0
        var high: UInt64 = 0
        while i + 8 <= bytes.count {
            high |= raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            i += 8
        }
        while i < bytes.count {
            high |= UInt64(bytes[i])
            i += 1
        }
        return high & 0x8080_8080_8080_8080 == 0
    }

    mutating func optionalString() throws(UserStateCodec.DecodingError) -> String? {
        try flag() ? try string() : nil
    }

    mutating func blob() throws(UserStateCodec.DecodingError) -> [UInt8] {
        let n = try count()
        defer { offset += n }
        return Array(raw[offset..<(offset + n)])
    }

    mutating func profile() throws(UserStateCodec.DecodingError) -> AccountProfile {
        var p = AccountProfile()
        p.known = try flag()
        p.homeCountry = try optionalString()
        p.phone = try optionalString()
        p.email = try optionalString()
        p.createdAt = try optionalDate()
        let answers = try count(minimumSize: 3)
        for _ in 0..<answers {
            p.kba.append(KBAAnswer(question: try string(), keyID: try string(), hash: try string()))
        }
        let flagsOffset = offset
        let flags = try byte()
        guard flags <= 3 else { throw .invalid("profile flags", offset: flagsOffset) }
        if flags & 1 != 0 {
            p.partialSecret = SealedSecret(keyID: try string(), box: try blob())
        }
        let trusted = try count()
        for _ in 0..<trusted { p.trustedDevices.append(try string()) }
        if flags & 2 != 0 {
            let id = try string()
            let keyOffset = offset
            let key = try blob()
            guard key.count == Ed25519.publicKeyLength else { throw .invalid("push device key", offset: keyOffset) }
            p.pushDevice = PushDevice(id: id, publicKey: key)
        }
        return p
    }

    /// The previous login's coordinates, for ``login()``.
    private var lastPosition: (lat: Double, lon: Double)?

    mutating func login() throws(UserStateCodec.DecodingError) -> LoginRecord {
        let start = offset
        let flags = try varint()
        guard flags < 0x1000, flags & 0x03 != 0x03 else { throw .invalid("login flags", offset: start) }
        let repeatsPosition = flags & 0x400 != 0
        guard !repeatsPosition || (flags & 0x30 == 0x30 && lastPosition != nil) else {
            throw .invalid("login position reference", offset: start)
        }
        // Fields read into locals and the record built once: filling a `var` record and
        // returning it copied the record (a retain and release of each of its strings).
        let time = try date()
        var ip: IPAddress?
        if flags & 0x01 != 0 {
            guard remaining >= 4 else { throw .truncated(offset: offset) }
            var v: UInt32 = 0
            for i in (0..<4).reversed() { v = v << 8 | UInt32(raw[offset + i]) }
            offset += 4
            ip = IPAddress(v4: v)
        } else if flags & 0x02 != 0 {
            ip = IPAddress(v6High: try fixed64(), low: try fixed64())
        }
        let country = flags & 0x04 != 0 ? try string() : nil
        let asn = flags & 0x08 != 0 ? try number() : nil
        var lat: Double?
        var lon: Double?
        if let last = lastPosition, repeatsPosition {
            lat = last.lat
            lon = last.lon
        } else {
            if flags & 0x10 != 0 { lat = try double() }
            if flags & 0x20 != 0 { lon = try double() }
        }
        if let lat, let lon { lastPosition = (lat, lon) } else { lastPosition = nil }
        let accuracy = flags & 0x40 != 0 ? try number() : nil
        let userAgent = flags & 0x100 != 0 ? try string() : nil
        let deviceId = flags & 0x200 != 0 ? try string() : nil
        return LoginRecord(time: time, ip: ip, country: country, asn: asn, lat: lat, lon: lon, accuracyKm: accuracy,
                           anonymous: flags & 0x80 != 0, userAgent: userAgent, deviceId: deviceId,
                           isLogin: flags & 0x800 == 0)
    }

    mutating func template() throws(UserStateCodec.DecodingError) -> TypingTemplate {
        guard version >= 2 else { return try templateVersion1() }
        let start = offset
        let field = try string()
        let length = try signed()
        let learned = try signed()
        guard (1...TypingFeatures.maxKeys).contains(length) else { throw .invalid("typing template length", offset: start) }
        let samples = try ring(width: TypingFeatures.count(keys: length))
        let scores = try ring(width: 1)
        guard let template = TypingTemplate(field: field, length: length, count: learned, ring: samples, scores: scores) else {
            throw .invalid("typing template", offset: start)
        }
        return template
    }

    /// A ring written by `Writer.ring(_:)`: the values go straight to their slots. Checks each
    /// column's values ascending and finite and its slots a permutation while reading.
    mutating func ring(width: Int) throws(UserStateCodec.DecodingError) -> RankedRing {
        let start = offset
        // Each row takes at least a byte a column (its value; a packed slot takes half a byte).
        let rows = try count(minimumSize: width)
        guard rows <= TypingTemplate.capacity else { throw .invalid("typing ring size", offset: start) }
        guard rows > 0 else { return RankedRing(width: width, capacity: TypingTemplate.capacity) }
        let head = try count()
        let packed = version >= 3 && rows <= UserStateCodec.nibbleSlotRows
        // Room for the row a learned login adds, so the ring grows without copying itself.
        let stride = min(rows + 1, TypingTemplate.capacity)
        var values: [Double] = []
        values.reserveCapacity(stride * width)
        values.append(contentsOf: repeatElement(0, count: rows * width))
        var order = [UInt8](repeating: 0, count: stride * width)
        try withUnsafeTemporaryAllocation(of: Double.self, capacity: rows) { (sorted) throws(UserStateCodec.DecodingError) in
            try values.withUnsafeMutableBufferPointer { (values) throws(UserStateCodec.DecodingError) in
                try order.withUnsafeMutableBufferPointer { (order) throws(UserStateCodec.DecodingError) in
                    for column in 0..<width {
                        if let used = Self.wholeColumn(raw, from: offset, rows: rows, into: sorted.baseAddress!) {
                            offset += used
                        } else {
                            var previous = 0.0
                            // `previous` as an integer while it is a whole number (the usual case).
                            var previousWhole: Int64? = 0
                            for rank in 0..<rows {
                                let at = offset
                                let value: Double
                                (value, previousWhole) = try sortedNumber(after: previousWhole)
                                guard value.isFinite, rank == 0 || value >= previous else { throw .invalid("typing ring value", offset: at) }
                                sorted[rank] = value
                                previous = value
                            }
                        }
                        let columnOrder = order.baseAddress! + column * stride
                        offset = try slots(rows: rows, packed: packed, into: columnOrder)
                        for rank in 0..<rows { values[Int(columnOrder[rank]) &* width &+ column] = sorted[rank] }
                    }
                }
            }
        }
        guard let ring = RankedRing(width: width, capacity: TypingTemplate.capacity, values: values, order: order,
                                    rowCount: rows, head: head, ordersChecked: true)
        else { throw .invalid("typing ring", offset: start) }
        return ring
    }

    /// Reads one column's slots (a byte each, or two a byte when `packed`) into `order`, checking
    /// that they are a permutation of the ring's rows (and that an odd last byte's unused nibble
    /// is zero); returns the offset after them.
    @inline(__always)
    func slots(rows: Int, packed: Bool, into order: UnsafeMutablePointer<UInt8>) throws(UserStateCodec.DecodingError) -> Int {
        let size = packed ? (rows + 1) / 2 : rows
        guard remaining >= size else { throw .truncated(offset: offset) }
        let bytes = raw.baseAddress!.assumingMemoryBound(to: UInt8.self) + offset
        var seen = SlotSet()
        for rank in 0..<rows {
            let slot = packed ? (rank & 1 == 0 ? bytes[rank >> 1] & 0x0f : bytes[rank >> 1] >> 4) : bytes[rank]
            guard Int(slot) < rows, seen.insert(Int(slot)) else {
                throw .invalid("typing ring slot", offset: offset + (packed ? rank >> 1 : rank))
            }
            order[rank] = slot
        }
        if packed && rows & 1 == 1 && bytes[rows >> 1] >> 4 != 0 {
            throw .invalid("typing ring slot", offset: offset + (rows >> 1))
        }
        return offset + size
    }

    /// Reads one ring column of `rows` values starting at byte `start` of `raw` into `sorted`
    /// when every value is a whole-number difference of one or two bytes (the usual column: whole
    /// milliseconds a few apart) and the values ascend; returns the bytes read. Returns `nil`,
    /// having read nothing, for any other column, which ``sortedNumber(after:)`` then reads (and
    /// checks) value by value.
    @inline(__always)
    static func wholeColumn(_ raw: UnsafeRawBufferPointer, from start: Int, rows: Int,
                            into sorted: UnsafeMutablePointer<Double>) -> Int? {
        // Each value takes at most two bytes here, so reading stops within `2 * rows` bytes.
        guard raw.count - start >= 2 * rows else { return nil }
        let bytes = raw.baseAddress! + start
        var at = 0
        var value: Int64 = 0
        for rank in 0..<rows {
            guard let (v, length) = shortVarint(at: bytes + at) else { return nil }
            at += length
            // Even: a whole difference (odd marks a raw value). Below 2^13 in size, so 50 of them
            // stay far inside the range the general path checks (below 2^53).
            guard v & 1 == 0 else { return nil }
            let difference = UserStateCodec.unzigzag(v >> 1)
            guard rank == 0 || difference >= 0 else { return nil }
            value += difference
            sorted[rank] = Double(value)
        }
        return at
    }

    /// A value written by `Writer.ring(_:)`: `zigzag << 1` of its difference from the previous
    /// value when both are whole numbers (`previous` is the previous value as an integer, `nil`
    /// when it is not whole), or `1` and the raw bits. Returns the value and, when it is whole,
    /// the value as an integer (the next call's `previous`).
    mutating func sortedNumber(after previous: Int64?) throws(UserStateCodec.DecodingError) -> (Double, Int64?) {
        let start = offset
        let v = try varint()
        if v == 1 {
            let value = try double()
            return (value, UserStateCodec.smallWhole(value))
        }
        guard v & 1 == 0, let p = previous else { throw .invalid("number", offset: start) }
        let (sum, overflow) = p.addingReportingOverflow(UserStateCodec.unzigzag(v >> 1))
        guard !overflow, sum.magnitude < 1 << 53 else { throw .invalid("number", offset: start) }
        return (Double(sum), sum)
    }

    /// A template of format version 1: rows oldest first, then the genuine scores, then the
    /// medians it stored (recomputed now, so only checked for their presence).
    mutating func templateVersion1() throws(UserStateCodec.DecodingError) -> TypingTemplate {
        let start = offset
        let field = try string()
        let length = try signed()
        let learned = try signed()
        guard (1...TypingFeatures.maxKeys).contains(length) else { throw .invalid("typing template length", offset: start) }
        let sampleCount = try count()
        var samples: [[Double]] = []
        samples.reserveCapacity(sampleCount)
        for _ in 0..<sampleCount {
            let width = try count()
            var sample: [Double] = []
            sample.reserveCapacity(width)
            for _ in 0..<width { sample.append(try number()) }
            samples.append(sample)
        }
        let scoreCount = try count(minimumSize: 8)
        var scores = [Double](repeating: 0, count: scoreCount)
        for i in 0..<scoreCount { scores[i] = try double() }
        let width = samples.isEmpty ? 0 : TypingFeatures.count(keys: length)
        for _ in 0..<(2 * width) { _ = try half() }
        let typical = try double()
        guard typical.isFinite, typical >= 0,
              let template = TypingTemplate(field: field, length: length, count: learned, samples: samples, genuineScores: scores)
        else { throw .invalid("typing template", offset: start) }
        return template
    }

    mutating func model() throws(UserStateCodec.DecodingError) -> UserModelCounts {
        let start = offset
        let total = try signed()
        let n = try count(minimumSize: 12)
        var entries: [UserModelCounts.Entry] = []
        entries.reserveCapacity(n)
        for _ in 0..<n {
            let key = try fixed64()
            let back = try varint()
            let parent: UInt64
            if back == 0 {
                parent = try fixed64()
            } else {
                guard back <= UInt64(entries.count) else { throw .invalid("model parent reference", offset: start) }
                parent = entries[entries.count - Int(back)].key
            }
            let count = try varint(), last = try varint()
            guard count <= UInt64(UInt32.max), last <= UInt64(UInt32.max) else { throw .invalid("model entry", offset: start) }
            entries.append(UserModelCounts.Entry(key: key, parent: parent, count: UInt32(count), last: UInt32(last), level: try byte()))
        }
        guard let model = UserModelCounts(total: total, entries: entries) else { throw .invalid("model counts", offset: start) }
        return model
    }
}
