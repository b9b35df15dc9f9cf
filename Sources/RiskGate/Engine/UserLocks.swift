import Foundation

/// Striped locks that serialise work on one user (load, decide, commit) while different users
/// proceed in parallel, so two concurrent requests for the same account cannot lose an update.
final class UserLocks: @unchecked Sendable {
    private let locks: [NSLock]

    init(stripes: Int = 64) {
        locks = (0..<max(1, stripes)).map { _ in NSLock() }
    }

    /// Runs `body` holding the lock of `user`'s stripe.
    func withLock<T>(_ user: String, _ body: () throws -> T) rethrows -> T {
        var hasher = Hasher()
        hasher.combine(user)
        let index = Int(UInt(bitPattern: hasher.finalize()) % UInt(locks.count))
        locks[index].lock()
        defer { locks[index].unlock() }
        return try body()
    }
}
