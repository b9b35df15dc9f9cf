import Foundation
import RiskGateEngine

/// The latest state of recently used users, written through by every commit of one store.
///
/// A decision reads its user's state and writes it back; decoding that state from the database on
/// every request costs more than the decision itself. The store keeps the value it last wrote (or
/// read) here, so a user's next request finds it without a database read. An entry whose write is
/// still queued for the group commit is pinned: it is the only copy of that state until the
/// transaction lands. Others are evicted at random once the cache holds more than `capacity` users.
final class UserStateCache: @unchecked Sendable {
    private struct Entry {
        /// `nil`: the user has no row (a cached miss).
        var state: UserState?
        /// Queued writes not yet committed.
        var pending: Int
    }

    /// A user id compared by its UTF-8 bytes, as SQLite compares it. Swift's `String` equality is
    /// canonical equivalence: keyed by `String`, `rene\u{301}e` found the entry of `ren\u{E9}e`,
    /// and a write for one spelling replaced the other's row.
    struct Key: Hashable {
        let user: String
        init(_ user: String) { self.user = user }
        static func == (a: Key, b: Key) -> Bool { a.user.utf8.elementsEqual(b.user.utf8) }
        func hash(into hasher: inout Hasher) {
            var copy = user
            copy.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        }
    }

    private let lock = NSLock()
    private var entries: [Key: Entry] = [:]
    let capacity: Int

    init(capacity: Int) { self.capacity = max(0, capacity) }

    /// The cached state: `.some(nil)` for a user known to have no row, `nil` when not cached.
    func lookup(_ user: String) -> UserState?? {
        lock.withLock {
            guard let entry = entries[Key(user)] else { return nil }
            return .some(entry.state)
        }
    }

    /// Remembers what the database holds for `user`, unless a newer write is already cached.
    func remember(_ user: String, _ state: UserState?) {
        guard capacity > 0 else { return }
        lock.withLock {
            let key = Key(user)
            if entries[key] != nil { return }
            entries[key] = Entry(state: state, pending: 0)
            evictIfNeeded()
        }
    }

    /// Records queued writes: they are what later reads must see, even before they are committed.
    ///
    /// Entries are changed in place (through their index): reading one out and storing it back
    /// copied its whole state, retaining and releasing every array in it, twice a decision.
    func queued(_ users: [String: UserState]) {
        guard !users.isEmpty else { return }
        lock.withLock {
            for (user, state) in users {
                let key = Key(user)
                if let index = entries.index(forKey: key) {
                    entries.values[index].state = state
                    entries.values[index].pending += 1
                } else {
                    entries[key] = Entry(state: state, pending: 1)
                }
            }
            evictIfNeeded()
        }
    }

    /// Marks queued writes as done; after a failure the entries are dropped so the next read goes
    /// to the database, which holds the last state that was really stored.
    func finished(_ users: some Sequence<String>, committed: Bool) {
        lock.withLock {
            for user in users {
                guard let index = entries.index(forKey: Key(user)) else { continue }
                let pending = max(0, entries.values[index].pending - 1)
                if committed && (capacity > 0 || pending > 0) {
                    entries.values[index].pending = pending
                } else {
                    entries.remove(at: index)
                }
            }
        }
    }

    /// Forgets every entry without queued writes (another process changed the database).
    func invalidateCommitted() {
        lock.withLock { entries = entries.filter { $0.value.pending > 0 } }
    }

    var count: Int { lock.withLock { entries.count } }

    /// Drops unpinned entries until the cache is a tenth below capacity. Caller holds the lock.
    private func evictIfNeeded() {
        guard entries.count > capacity else { return }
        let target = capacity - capacity / 10
        var victims: [Key] = []
        for (key, entry) in entries where entry.pending == 0 {
            victims.append(key)
            if entries.count - victims.count <= target { break }
        }
        for key in victims { entries[key] = nil }
    }
}
