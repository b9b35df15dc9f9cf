/// A decider that takes a whole batch of events at once, so it can spread the work over threads.
///
/// The result must be what deciding the events one at a time with
/// ``ReplayDecider/replay(_:attackerFailsChallenges:)`` in the same order gives; the harness uses
/// this method when a decider offers it, with each event's ``ReplayEvent/attackerFailsChallenges``.
public protocol ReplayBatchDecider: ReplayDecider {
    /// Decides `events` in order and returns one result per event.
    ///
    /// - Throws: ``ReplayError/decider(line:message:)`` naming the first event (in file order) that
    ///   failed; the replay stops and the decider's state is then unspecified.
    func replay(batch events: [ReplayEvent]) throws -> [ReplayResult]
}
