import Foundation
import RiskGatePolicy

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

/// Writes one record in ``UserStateCodec``'s format. Appends to its own growing buffer through a
/// pointer: appending byte by byte to an `Array` checks uniqueness and capacity on every byte,
/// which was most of the encoding's cost.
struct UserStateWriter: ~Copyable {
    private(set) var base: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    /// Bytes written so far (the ring coding writes through `base` and moves this past them).
    var used = 0
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
        UserStateWriter.put(varint: value, at: &out)
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
                    if UserStateWriter.sameBytes(base + stringOffsets[i], bytes.baseAddress!, count: length) {
                        varint(UInt64(i) << 1 | 1)
                        return
                    }
                }
            }
            varint(UInt64(length) << 1)
            // Every non-empty string written in full takes the reader's next index, so the table
            // stays in step with it for as long as it has room.
            if length > 0 && stringCount < UserStateWriter.maxReferencedStrings {
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
