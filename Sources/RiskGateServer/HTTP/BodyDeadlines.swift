import Foundation
import NIOCore

/// Deadlines for reading request bodies, watched by one thread for the whole process.
///
/// A body that has not arrived by its deadline gets its connection's input closed, which ends the
/// body stream the handler is reading; ``disarm(_:)`` then tells the handler, which answers 408. One
/// watcher polling a table replaces racing each body read against a sleeping task (two extra
/// tasks, a timer and a cancellation for every request).
final class BodyDeadlines: @unchecked Sendable {
    /// The process-wide watcher.
    static let shared = BodyDeadlines()

    /// A deadline being watched.
    struct Ticket: Sendable {
        fileprivate let id: UInt64
    }

    private struct Entry {
        let deadline: ContinuousClock.Instant
        let channel: any Channel
    }

    private let condition = NSCondition()
    private var entries: [UInt64: Entry] = [:]
    private var expired: Set<UInt64> = []
    private var nextID: UInt64 = 0
    private var watching = false
    /// How often the watcher looks at the table: a late body is cut off at most this much after its deadline.
    private let granularity: TimeInterval = 0.1

    /// Starts watching a body read on `channel` that must finish within `timeout`.
    func arm(_ channel: any Channel, timeout: Duration) -> Ticket {
        let deadline = ContinuousClock.now + timeout
        condition.lock()
        defer { condition.unlock() }
        nextID &+= 1
        entries[nextID] = Entry(deadline: deadline, channel: channel)
        if !watching {
            watching = true
            let thread = Thread { [self] in watch() }
            thread.name = "riskgate-body-deadlines"
            thread.start()
        } else if entries.count == 1 {
            condition.signal()
        }
        return Ticket(id: nextID)
    }

    /// Stops watching; returns whether the deadline had already passed (the input was then closed).
    @discardableResult
    func disarm(_ ticket: Ticket) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        entries[ticket.id] = nil
        return expired.remove(ticket.id) != nil
    }

    private func watch() {
        condition.lock()
        while true {
            if entries.isEmpty {
                condition.wait()
                continue
            }
            let now = ContinuousClock.now
            var late: [any Channel] = []
            for (id, entry) in entries where entry.deadline <= now {
                entries[id] = nil
                expired.insert(id)
                late.append(entry.channel)
            }
            condition.unlock()
            for channel in late { channel.close(mode: .input, promise: nil) }
            Thread.sleep(forTimeInterval: granularity)
            condition.lock()
        }
    }
}
