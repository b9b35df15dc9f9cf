import Foundation
import Testing
@testable import RiskGatePolicy

/// `PolicyCompiler.compile(path:)`: what cannot be read is `RG1009`, what is too large `RG1002`,
/// read no further than one byte past the limit.
@Suite struct PolicyFileReadingTests {
    @Test func aHugeFileIsRefusedAsTooLarge() throws {
        let dir = TempDirectory()
        defer { dir.cleanup() }
        let path = dir.path("huge.yaml")
        try Data(repeating: UInt8(ascii: "#"), count: 8 << 20).write(to: URL(fileURLWithPath: path))
        #expect(PolicyCompiler.compile(path: path).diagnostics.map(\.code) == ["RG1002"])
    }

    @Test func anEndlessFileIsRefusedAsTooLarge() {
        #expect(PolicyCompiler.compile(path: "/dev/zero").diagnostics.map(\.code) == ["RG1002"])
    }

    @Test func aFolderOrMissingFileIsUnreadable() {
        let dir = TempDirectory()
        defer { dir.cleanup() }
        #expect(PolicyCompiler.compile(path: dir.path("")).diagnostics.map(\.message) == ["is a folder, not a policy file"])
        #expect(PolicyCompiler.compile(path: dir.path("none.yaml")).diagnostics.map(\.message) == ["file does not exist"])
    }
}
