import Foundation
import Testing
@testable import RiskGate
@testable import RiskGateEngine

/// Checkpoints run on a thread of their own, not inside the commit that crosses SQLite's threshold.
@Suite struct SQLiteCheckpointerTests {
    @Test func commitsReachTheDatabaseFileWithoutACheckpointInTheWriter() throws {
        let dir = TempDirectory()
        defer { dir.cleanup() }
        let path = dir.path("state.db")
        let store = try SQLiteStateStore(path: path)
        let size = { ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? 0 }
        let before = size()
        // Far below SQLite's automatic checkpoint (1,000 pages): before the checkpointer, these
        // stayed in the WAL until a commit crossed it, which then paid for copying them all.
        for i in 0..<50 {
            var state = UserState()
            state.profile.homeCountry = "DE"
            state.failures = (0..<20).map { Date(timeIntervalSince1970: Double(1_700_000_000 + i * 100 + $0)) }
            try store.commit(StateChange(users: ["u-\(i)": state]))
        }
        // The checkpointer waits 0.2 s for more commits before copying; allow a loaded machine 20 s.
        let deadline = Date().addingTimeInterval(20)
        while size() <= before && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        #expect(size() > before, "the database file did not grow: no checkpoint copied the WAL")
        #expect(try store.loadUser("u-49")?.failures.count == 20)
    }
}
