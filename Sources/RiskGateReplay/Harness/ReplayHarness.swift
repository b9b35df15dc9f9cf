import Foundation

/// How far a running replay has got, for a progress line.
public struct ReplayProgress: Sendable, Hashable {
    /// Events decided so far.
    public var events: Int
    /// Lines read so far (the reader runs ahead of the deciders by at most a few batches).
    public var lines: Int
    /// Bad lines so far.
    public var badLines: Int
    /// Bytes of the dataset read so far.
    public var bytesRead: Int64
    /// Dataset size when known.
    public var totalBytes: Int64?
    /// Wall time since the replay started.
    public var elapsedSeconds: Double

    /// Events per second so far.
    public var eventsPerSecond: Double { elapsedSeconds > 0 ? Double(events) / elapsedSeconds : 0 }
}

/// Runs a dataset through a candidate policy (and optionally a baseline) and tallies the report (docs/replay.md).
///
/// Pipeline: a reader thread parses lines into batches and hands them over a bounded queue (so
/// memory stays bounded and parsing overlaps deciding); the calling thread takes each batch and
/// has it decided, then tallies the results in file order. With a baseline, the candidate and the
/// baseline decide the batch at the same time on two threads (each has its own state, so this
/// changes nothing but the wall time). A ``ReplayBatchDecider`` (such as
/// ``ReplayEngine``) gets the whole batch and may spread it over threads itself; any other decider
/// is called one event at a time, from one thread at a time.
///
/// The tally is a fixed-size value that merges by addition (`ReplayTally.merge`).
public enum ReplayHarness {
    /// Tuning knobs; the defaults suit datasets of any size.
    public struct Options: Sendable {
        /// Events per batch handed from the reader thread to the deciding thread.
        public var batchSize: Int = 1024
        /// Batches that may wait in the queue (bounds memory: `batchSize × queueDepth` events).
        public var queueDepth: Int = 8
        /// Call `progress` after this many events...
        public var progressEveryEvents: Int = 1_000_000
        /// ...or after this many seconds, whichever comes first.
        public var progressEverySeconds: Double = 2

        public init() {}
    }

    /// Replays every event of `reader` and returns the report.
    ///
    /// The candidate and the baseline each see every good event once, in file order, with
    /// `attackerFailsChallenges` set for events labelled attack. Bad lines are skipped and counted.
    ///
    /// - Throws: ``ReplayError/io(_:)`` when the dataset cannot be read, and
    ///   ``ReplayError/decider(line:message:)`` when a decider throws; the replay stops there.
    public static func run(reader: EventReader, candidate: ReplayDecider, baseline: ReplayDecider? = nil,
                           options: Options = Options(),
                           progress: ((ReplayProgress) -> Void)? = nil) throws -> ReplayReport {
        let started = DispatchTime.now().uptimeNanoseconds
        func elapsed() -> Double { Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9 }

        let queue = BatchQueue(capacity: max(1, options.queueDepth))
        let finished = DispatchSemaphore(value: 0)
        let box = ReaderBox(reader)
        let batchSize = max(1, options.batchSize)
        let producer = Thread {
            defer { finished.signal() }
            let reader = box.reader
            do {
                while true {
                    // Events the harness is done with are freed here, by the thread that allocated them.
                    queue.dropSpent()
                    let events = try reader.nextBatch(limit: batchSize)
                    let batch = Batch(events: events, lines: reader.lineNumber, badLines: reader.badLineCount,
                                      bytesRead: reader.bytesRead)
                    if events.isEmpty {
                        _ = queue.push(.end)
                        return
                    }
                    guard queue.push(.batch(batch)) else { return }
                }
            } catch {
                _ = queue.push(.failure(error))
            }
        }
        producer.name = "riskgate-replay-reader"
        producer.start()
        // Whatever happens below, stop the reader and wait for it before touching `reader` again.
        var joined = false
        func join() {
            guard !joined else { return }
            queue.cancel()
            finished.wait()
            joined = true
        }
        defer { join() }

        var tally = ReplayTally(withBaseline: baseline != nil)
        var nextProgressEvents = options.progressEveryEvents
        var nextProgressTime = options.progressEverySeconds
        loop: while true {
            var batch: Batch
            switch queue.pop() {
            case .batch(let b): batch = b
            case .end: break loop
            case .failure(let error): throw error
            }
            let results: [ReplayResult], baseResults: [ReplayResult]?
            if let baseline {
                (results, baseResults) = try decideSideBySide(batch.events, candidate: candidate, baseline: baseline)
            } else {
                (results, baseResults) = (try decide(batch.events, with: candidate), nil)
            }
            // The tally reads each event in place (see ``ReplayTally/add(_:candidate:baseline:)``).
            batch.events.withUnsafeBufferPointer { events in
                for i in events.indices { tally.add(events.baseAddress! + i, candidate: results[i], baseline: baseResults?[i]) }
            }
            if let progress {
                let now = elapsed()
                if tally.events >= nextProgressEvents || now >= nextProgressTime {
                    progress(ReplayProgress(events: tally.events, lines: batch.lines, badLines: batch.badLines,
                                            bytesRead: batch.bytesRead, totalBytes: reader.totalBytes, elapsedSeconds: now))
                    while nextProgressEvents <= tally.events { nextProgressEvents += max(1, options.progressEveryEvents) }
                    nextProgressTime = now + options.progressEverySeconds
                }
            }
            // Freeing a batch's events (their strings and key lists) here was ~10 % of this
            // thread's time, serial between epochs; the reader thread frees them instead.
            var spent: [ReplayEvent] = []
            swap(&spent, &batch.events)
            queue.giveBack(consume spent)
        }
        let seconds = elapsed()
        // The reader thread has pushed `.end` and returned; wait for it so its counters are safe to read.
        join()
        if let progress {
            progress(ReplayProgress(events: tally.events, lines: reader.lineNumber, badLines: reader.badLineCount,
                                    bytesRead: reader.bytesRead, totalBytes: reader.totalBytes, elapsedSeconds: seconds))
        }
        return tally.report(lines: reader.lineNumber, badLines: reader.badLineCount, badLineExamples: reader.badLines,
                            elapsedSeconds: seconds, peakMemoryBytes: PeakMemory.bytes(),
                            candidateRules: candidate.ruleCatalogue, baselineRules: baseline?.ruleCatalogue)
    }

    /// Decides `event` with a one-at-a-time decider, naming the event's line if it throws.
    private static func decideOne(_ event: ReplayEvent, with decider: ReplayDecider) throws -> ReplayResult {
        do {
            return try decider.replay(event.context, attackerFailsChallenges: event.attackerFailsChallenges)
        } catch {
            throw ReplayError.decider(line: event.line, message: String(describing: error))
        }
    }

    /// Decides `events` with `decider`, whole batch or one at a time, whichever it offers.
    private static func decide(_ events: [ReplayEvent], with decider: ReplayDecider) throws -> [ReplayResult] {
        if let batched = decider as? any ReplayBatchDecider { return try batched.replay(batch: events) }
        var results: [ReplayResult] = []
        results.reserveCapacity(events.count)
        for event in events { results.append(try decideOne(event, with: decider)) }
        return results
    }

    /// Decides `events` with the candidate and the baseline at the same time, on two threads.
    ///
    /// When both fail, the failure on the earlier line is thrown (the candidate's on a tie), as a
    /// sequential replay would have met it first.
    private static func decideSideBySide(_ events: [ReplayEvent], candidate: ReplayDecider,
                                         baseline: ReplayDecider) throws -> ([ReplayResult], [ReplayResult]) {
        let outcomes = SideBySide(candidate: candidate, baseline: baseline)
        DispatchQueue.concurrentPerform(iterations: 2) { side in
            outcomes.run(side) { try decide(events, with: $0) }
        }
        return try outcomes.results()
    }
}

/// The two deciders of a side-by-side batch and what each produced. Each side (its own stored
/// property) is written by one thread only, and read after both have finished
/// (`concurrentPerform` returns after both).
private final class SideBySide: @unchecked Sendable {
    private let candidate: ReplayDecider
    private let baseline: ReplayDecider
    private var candidateOutcome: Result<[ReplayResult], any Error>?
    private var baselineOutcome: Result<[ReplayResult], any Error>?

    init(candidate: ReplayDecider, baseline: ReplayDecider) {
        self.candidate = candidate
        self.baseline = baseline
    }

    /// Runs side 0 (the candidate) or 1 (the baseline).
    func run(_ side: Int, _ body: (ReplayDecider) throws -> [ReplayResult]) {
        if side == 0 {
            candidateOutcome = Result { try body(candidate) }
        } else {
            baselineOutcome = Result { try body(baseline) }
        }
    }

    func results() throws -> ([ReplayResult], [ReplayResult]) {
        switch (candidateOutcome, baselineOutcome) {
        case (.success(let c)?, .success(let b)?):
            return (c, b)
        case (.failure(let c)?, .failure(let b)?):
            if case .decider(let lc, _)? = c as? ReplayError, case .decider(let lb, _)? = b as? ReplayError, lb < lc { throw b }
            throw c
        case (.failure(let c)?, _):
            throw c
        case (_, .failure(let b)?):
            throw b
        default:
            throw ReplayError.io("replay: a decider did not run")
        }
    }
}

/// One hand-over from the reader thread: parsed events plus the reader's counters at that point.
struct Batch: Sendable {
    var events: [ReplayEvent]
    var lines: Int
    var badLines: Int
    var bytesRead: Int64
}

/// Moves the reader to the reader thread; the harness guarantees only one thread uses it at a time
/// (the caller waits for the reader thread to finish before reading the reader's counters).
private final class ReaderBox: @unchecked Sendable {
    let reader: EventReader
    init(_ reader: EventReader) { self.reader = reader }
}

/// A bounded single-producer, single-consumer queue of batches.
final class BatchQueue: @unchecked Sendable {
    enum Item: Sendable {
        case batch(Batch)
        case end
        case failure(any Error)
    }

    private let condition = NSCondition()
    private var items: [Item] = []
    /// Batches' events the consumer is done with, for the producer to free.
    private var spent: [[ReplayEvent]] = []
    private let capacity: Int
    private var cancelled = false

    init(capacity: Int) { self.capacity = capacity }

    /// Adds an item, waiting while the queue is full; false once the consumer has cancelled.
    func push(_ item: Item) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while items.count >= capacity && !cancelled { condition.wait() }
        if cancelled { return false }
        items.append(item)
        condition.broadcast()
        return true
    }

    /// Takes the oldest item, waiting while the queue is empty.
    func pop() -> Item {
        condition.lock()
        defer { condition.unlock() }
        while items.isEmpty { condition.wait() }
        let item = items.removeFirst()  // at most `capacity` items: cheap
        condition.broadcast()
        return item
    }

    /// Hands `events` back to the producer, to be freed by ``dropSpent()``.
    func giveBack(_ events: consuming [ReplayEvent]) {
        condition.lock()
        spent.append(events)
        condition.unlock()
    }

    /// Frees the events handed back so far (outside the lock).
    func dropSpent() {
        condition.lock()
        var taken: [[ReplayEvent]] = []
        swap(&taken, &spent)
        condition.unlock()
    }

    /// Stops the producer: pending and future pushes return false.
    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }
}

/// The process's peak resident set size.
package enum PeakMemory {
    /// `VmHWM` from `/proc/self/status` on Linux, else `ru_maxrss`; 0 when neither is available.
    package static func bytes() -> Int {
        #if os(Linux)
        if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) {
            for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
                let digits = line.dropFirst(6).filter(\.isNumber)
                if let kilobytes = Int(digits) { return kilobytes * 1024 }
            }
        }
        #endif
        var usage = rusage()
        #if os(Linux)
        guard getrusage(RUSAGE_SELF.rawValue, &usage) == 0 else { return 0 }
        return Int(usage.ru_maxrss) * 1024
        #else
        guard getrusage(RUSAGE_SELF, &usage) == 0 else { return 0 }
        return Int(usage.ru_maxrss)
        #endif
    }
}
