/// The generator's agenda: who acts next, as a binary min-heap on (time, insertion order).
///
/// Holds one entry per user and per attack in progress, so memory is O(users) however many
/// events are written; ties in time are broken by insertion order, which keeps output deterministic.
struct Schedule {
    enum Kind: UInt8 {
        case login, stuffing, targeted, hijack, impossibleTravel
    }

    struct Entry {
        var time: Int64
        var sequence: UInt64
        var kind: Kind
        /// Attempt number within a retry series or an attack incident.
        var step: UInt8
        /// User index (or 0 for the stuffing campaign).
        var subject: Int32
        /// Seed of an attack incident's fixed traits (device, place, rhythm), redrawn at each attempt.
        var seed: UInt64

        @inline(__always)
        func precedes(_ other: Entry) -> Bool {
            time < other.time || (time == other.time && sequence < other.sequence)
        }
    }

    private var heap: [Entry] = []

    var count: Int { heap.count }

    mutating func push(_ entry: Entry) {
        heap.append(entry)
        heap.withUnsafeMutableBufferPointer { h in
            // Move the hole up instead of swapping at each level.
            var i = h.count - 1
            while i > 0 {
                let parent = (i - 1) / 2
                guard entry.precedes(h[parent]) else { break }
                h[i] = h[parent]
                i = parent
            }
            h[i] = entry
        }
    }

    mutating func pop() -> Entry? {
        guard let first = heap.first else { return nil }
        let last = heap.removeLast()
        if heap.isEmpty { return first }
        heap.withUnsafeMutableBufferPointer { h in
            let n = h.count
            var i = 0
            while true {
                let l = 2 * i + 1
                if l >= n { break }
                var child = l
                if l + 1 < n && h[l + 1].precedes(h[l]) { child = l + 1 }
                guard h[child].precedes(last) else { break }
                h[i] = h[child]
                i = child
            }
            h[i] = last
        }
        return first
    }
}
