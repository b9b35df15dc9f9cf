import Foundation

/// Decoded records of one geolocation database, by their offset in its data section.
///
/// Many networks share one record (every address block of a city points at that city's record),
/// so a service meets the same few thousand records again and again, and decoding one walks its
/// maps key by key: that was most of a request's geolocation cost. The search tree is still walked
/// for every address, so an answer is exactly what decoding the record gives. Bounded: when full,
/// the cache starts again empty. Damaged records throw and are not kept.
final class GeoRecordCache<Record: Sendable>: @unchecked Sendable {
    /// Most records kept.
    let capacity: Int
    private let lock = NSLock()
    private var records: [Int: Record?] = [:]

    init(capacity: Int = 1 << 16) {
        self.capacity = capacity
    }

    /// The record at `offset`, decoded by `decode` the first time it is asked for.
    func record(at offset: Int, decode: () throws -> Record?) rethrows -> Record? {
        lock.lock()
        let cached = records[offset]
        lock.unlock()
        if let cached { return cached }
        let decoded = try decode()
        lock.lock()
        if records.count >= capacity { records.removeAll(keepingCapacity: true) }
        records[offset] = decoded
        lock.unlock()
        return decoded
    }

    /// Records held now.
    var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return records.count
    }
}
