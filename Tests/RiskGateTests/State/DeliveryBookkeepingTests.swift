import Foundation
import Testing
@testable import RiskGate
@testable import RiskGateEngine

/// The store's part of webhook delivery: attempts, next attempt, dead letters and their retry,
/// the same in SQLite and in memory.
@Suite("Outbox delivery bookkeeping")
struct DeliveryBookkeepingTests {
    func stores(_ dir: TempDirectory) throws -> [any StateStore] {
        [try SQLiteStateStore(path: dir.path("state.db")), MemoryStateStore()]
    }

    func messages(_ created: Date) -> [OutboxMessage] {
        (1...3).map { OutboxMessage(created: created, kind: "handoff", channel: "agent", user: "u-\($0)", body: #"{"n":\#($0)}"#) }
    }

    @Test func attemptsAndDeadLettersKeepIDsAndOrder() throws {
        let dir = TempDirectory()
        defer { dir.cleanup() }
        let created = Date(timeIntervalSince1970: 1_790_000_000)
        for store in try stores(dir) {
            try store.commit(StateChange(outbox: messages(created)))
            let ids = try store.outbox(limit: 10).compactMap(\.id)
            #expect(ids.count == 3)
            #expect(try store.outbox(limit: 10).allSatisfy { $0.attempts == 0 && $0.nextAttempt == nil })

            try store.deferOutbox(ids[1], attempts: 2, nextAttempt: created.addingTimeInterval(30))
            let waiting = try #require(try store.outbox(limit: 10).first { $0.id == ids[1] })
            #expect(waiting.attempts == 2 && waiting.nextAttempt == created.addingTimeInterval(30))

            // Dead-lettered out of id order, listed in id order.
            try store.deadLetterOutbox(ids[2], attempts: 4, reason: "http 500", at: created.addingTimeInterval(60))
            try store.deadLetterOutbox(ids[0], attempts: 8, reason: "timeout", at: created.addingTimeInterval(90))
            #expect(try store.outbox(limit: 10).compactMap(\.id) == [ids[1]])
            let letters = try store.deadLetters(limit: 10)
            #expect(letters.map(\.message.id) == [ids[0], ids[2]])
            #expect(letters.map(\.reason) == ["timeout", "http 500"] && letters.map(\.message.attempts) == [8, 4])
            #expect(letters[0].time == created.addingTimeInterval(90) && letters[0].message.body == #"{"n":1}"#)
            #expect(try store.deadLetters(limit: 1).count == 1)

            // Gone messages are left alone: nothing to defer or move.
            try store.deferOutbox(999, attempts: 1, nextAttempt: created)
            try store.deadLetterOutbox(999, attempts: 1, reason: "x", at: created)
            #expect(try store.deadLetters(limit: 10).count == 2)

            #expect(try store.retryDeadLetters([ids[2], 999]) == [ids[2]])
            let back = try store.outbox(limit: 10)
            #expect(back.compactMap(\.id) == [ids[1], ids[2]], "back under its own id, in id order")
            #expect(back[1].attempts == 0 && back[1].nextAttempt == nil && back[1].user == "u-3")
            #expect(try store.retryDeadLetters(nil) == [ids[0]])
            #expect(try store.outbox(limit: 10).compactMap(\.id) == ids)
            #expect(try store.deadLetters(limit: 10).isEmpty)

            // New messages still get new ids.
            try store.commit(StateChange(outbox: [messages(created)[0]]))
            #expect(try store.outbox(limit: 10).compactMap(\.id).last.map { $0 > ids[2] } == true)
        }
    }

    /// Moving a message to the dead letters is one transaction in a reopened file, too.
    @Test func deadLettersSurviveReopening() throws {
        let dir = TempDirectory()
        defer { dir.cleanup() }
        let created = Date(timeIntervalSince1970: 1_790_000_000)
        let keyring = SecretsKeyring.ephemeral()
        do {
            let store = try SQLiteStateStore(path: dir.path("state.db"), secrets: keyring)
            try store.commit(StateChange(outbox: messages(created)))
            let id = try #require(try store.outbox(limit: 1).first?.id)
            try store.deadLetterOutbox(id, attempts: 3, reason: "connection failed", at: created)
            try store.deferOutbox(id + 1, attempts: 1, nextAttempt: created.addingTimeInterval(5))
        }
        let store = try SQLiteStateStore(path: dir.path("state.db"), secrets: keyring)
        #expect(try store.deadLetters(limit: 10).map(\.reason) == ["connection failed"])
        #expect(try store.outbox(limit: 10).map(\.attempts) == [1, 0])
    }

    /// `challenge outbox` prints the message alone: the bookkeeping is not in its JSON form.
    @Test func jsonFormLeavesOutTheBookkeeping() throws {
        let message = OutboxMessage(id: 1, created: Date(timeIntervalSince1970: 1_790_000_000), kind: "otp", channel: "sms",
                                    user: "u-1", body: "{}", attempts: 2, nextAttempt: Date(timeIntervalSince1970: 1_790_000_060))
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let text = String(decoding: try encoder.encode(message), as: UTF8.self)
        #expect(!text.contains("attempt"))
        let decoded = try JSONDecoder().decode(OutboxMessage.self, from: Data(text.utf8))
        #expect(decoded.id == 1 && decoded.attempts == 0 && decoded.nextAttempt == nil && decoded.body == "{}")
    }
}
