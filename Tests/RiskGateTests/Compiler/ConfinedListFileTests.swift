import Foundation
import Testing
@testable import RiskGatePolicy

/// A policy from an untrusted sender (the service's policy upload) may read list files only inside
/// its policy folder, and never has a list file's lines quoted back.
@Suite struct ConfinedListFileTests {
    /// A policy folder with a good list, a bad list and a secret file beside the folder.
    struct Folder {
        let root: URL
        var policies: URL { root.appendingPathComponent("policies") }

        init() throws {
            root = FileManager.default.temporaryDirectory.appendingPathComponent("rg-confined-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: root.appendingPathComponent("policies/lists"),
                                                    withIntermediateDirectories: true)
            try "203.0.113.0/24\n".write(to: root.appendingPathComponent("policies/lists/good.txt"), atomically: true, encoding: .utf8)
            try "203.0.113.9\nsecret-in-list\n".write(to: root.appendingPathComponent("policies/lists/bad.txt"),
                                                      atomically: true, encoding: .utf8)
            try "sk-live-0123456789 admin\n".write(to: root.appendingPathComponent("keys.txt"), atomically: true, encoding: .utf8)
            try FileManager.default.createSymbolicLink(at: root.appendingPathComponent("policies/lists/link.txt"),
                                                       withDestinationURL: root.appendingPathComponent("keys.txt"))
        }

        func remove() { try? FileManager.default.removeItem(at: root) }
    }

    static func policy(file: String) -> String {
        """
        riskgate: 1
        policy: upload
        lists:
          x: { file: \(file) }
        decide:
          - { id: listed, when: ip in x, outcome: deny }
          - { id: default, outcome: passive }
        """
    }

    func compile(_ file: String, in folder: Folder, confined: Bool) -> CompileResult {
        PolicyCompiler.compile(source: Self.policy(file: file), file: "policy.yaml", baseDirectory: folder.policies.path,
                               confineListFiles: confined)
    }

    @Test func aFileInsideTheFolderIsRead() throws {
        let folder = try Folder()
        defer { folder.remove() }
        let result = compile("lists/good.txt", in: folder, confined: true)
        #expect(result.policy != nil)
        #expect(result.diagnostics.filter { $0.severity == .error }.isEmpty)
    }

    @Test(arguments: ["../keys.txt", "lists/../../keys.txt", "/etc/passwd", "lists/link.txt", "/dev/zero"])
    func aFileOutsideTheFolderIsRefusedUnread(path: String) throws {
        let folder = try Folder()
        defer { folder.remove() }
        let result = compile(path, in: folder, confined: true)
        #expect(result.policy == nil)
        #expect(result.diagnostics.map(\.code) == ["RG1506"])
        let text = result.diagnostics.map { "\($0.message) \($0.help ?? "") \($0.sourceLine ?? "")" }.joined()
        #expect(!text.contains("sk-live"))
        #expect(!text.contains("root:"))
    }

    /// File APIs cut a path at a NUL: `lists/link.txt\0` must not pass as a path inside the folder.
    @Test func aPathWithANulIsRefusedUnread() throws {
        let folder = try Folder()
        defer { folder.remove() }
        for confined in [true, false] {
            let source = Self.policy(file: #""lists/link.txt\u0000""#)
            let result = PolicyCompiler.compile(source: source, file: "policy.yaml", baseDirectory: folder.policies.path,
                                                confineListFiles: confined)
            #expect(result.diagnostics.map(\.code) == ["RG1501"])
            #expect(!result.diagnostics.map(\.message).joined().contains("sk-live"))
        }
    }

    @Test func aBadLineIsReportedWithoutItsText() throws {
        let folder = try Folder()
        defer { folder.remove() }
        let confined = compile("lists/bad.txt", in: folder, confined: true)
        #expect(confined.diagnostics.map(\.code) == ["RG1502"])
        #expect(confined.diagnostics.first?.line == 2)
        let text = confined.diagnostics.map { "\($0.message) \($0.sourceLine ?? "")" }.joined()
        #expect(!text.contains("secret-in-list"))
        // A policy file on the operator's own disk keeps the full report.
        let trusted = compile("lists/bad.txt", in: folder, confined: false)
        #expect(trusted.diagnostics.first?.message.contains("secret-in-list") == true)
    }

    @Test func aTrustedPolicyMayNameAnyFile() throws {
        let folder = try Folder()
        defer { folder.remove() }
        let result = compile("../keys.txt", in: folder, confined: false)
        #expect(result.diagnostics.map(\.code) == ["RG1502"])
    }
}
