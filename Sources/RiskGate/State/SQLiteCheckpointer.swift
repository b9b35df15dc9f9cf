import Foundation

/// Copies the WAL into the database file on its own thread and connection, so that commits do not
/// wait for checkpoints.
///
/// SQLite's automatic checkpoint runs inside the commit that takes the WAL past its threshold
/// (1,000 pages by default): that commit, and every decision waiting for it, paid for copying the
/// pages and syncing the database file — milliseconds, every hundred or so decisions. Here this
/// thread runs a `PASSIVE` checkpoint after commits (at most once an ``interval``), which takes no
/// lock a writer waits for, and the writer's connection checkpoints by itself only past
/// ``backstopPages``: the WAL is reset only when a write starts with every frame copied, which
/// unbroken load may not leave time for.
///
/// That reset is the one pause left: copying the last frames and syncing the WAL and the database
/// file inside one commit, 15 to 40 ms on a virtual disk whatever the amount. Under steady load
/// the WAL grows at the rate commits write pages (~15 KB a decision at one connection), so the
/// backstop sets how often a commit pays it: at 10,000 pages (40 MiB) every ~3 s at 2,400
/// decisions/s, at 65,536 pages (256 MiB) every ~7 s or more. The WAL file keeps its size after a
/// reset (a file that shrank would grow again, allocating blocks inside commits).
///
/// Durability is unchanged: a commit is acknowledged once its frames are in the WAL, as before,
/// and a checkpoint copies only committed frames.
final class SQLiteCheckpointer: @unchecked Sendable {
    /// The writer connection's `wal_autocheckpoint`, in pages (256 MiB of 4 KiB pages).
    static let backstopPages = 65_536

    private let connection: SQLiteConnection
    private let interval: TimeInterval
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var dirty = false
    private var stopping = false
    private var finished = false

    /// Opens its own connection to `path` and starts the thread.
    init(path: String, interval: TimeInterval = 0.2) throws {
        connection = try SQLiteConnection(path: path, create: false)
        self.interval = interval
        let thread = Thread { [self] in run() }
        thread.name = "riskgate-sqlite-checkpointer"
        thread.start()
    }

    /// Tells the thread that a transaction committed.
    func committed() {
        condition.lock()
        let wake = !dirty
        dirty = true
        condition.unlock()
        if wake { condition.signal() }
    }

    /// Stops the thread (after a checkpoint in progress) and closes the connection.
    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while !finished { condition.wait() }
        condition.unlock()
        connection.close()
    }

    private func run() {
        condition.lock()
        while true {
            // Idle until a commit: no polling.
            while !dirty && !stopping { condition.wait() }
            // One checkpoint for the commits of an interval.
            let deadline = Date(timeIntervalSinceNow: interval)
            while !stopping && condition.wait(until: deadline) {}
            if stopping { break }
            dirty = false
            condition.unlock()
            // Best effort: a busy or failed checkpoint is retried after the next commit, and the
            // writer's own checkpoint past `backstopPages` bounds the WAL meanwhile.
            try? connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
            condition.lock()
        }
        finished = true
        condition.broadcast()
        condition.unlock()
    }
}
