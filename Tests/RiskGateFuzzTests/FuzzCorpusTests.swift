import Foundation
import RiskGateFuzzChecks
import Testing

/// Replays the committed fuzzing corpora (`Fuzz/Corpus/<target>/{regressions,seeds}`) through the
/// checks the libFuzzer harnesses run, so every crash fuzzing found stays fixed without fuzzing.
@Suite struct FuzzCorpusTests {
    static let corpus = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz/Corpus")

    /// Every file of `target`'s folder `folder`, sorted by name.
    static func files(_ target: FuzzTarget, _ folder: String) -> [URL] {
        let dir = corpus.appendingPathComponent(target.rawValue).appendingPathComponent(folder)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted().map { dir.appendingPathComponent($0) }
    }

    static let inputs: [(FuzzTarget, String, String)] = FuzzTarget.allCases.flatMap { target in
        ["regressions", "seeds"].flatMap { folder in files(target, folder).map { (target, folder, $0.lastPathComponent) } }
    }

    @Test func everyTargetHasSeeds() {
        for target in FuzzTarget.allCases {
            #expect(!Self.files(target, "seeds").isEmpty, "no seeds for `\(target.rawValue)`")
        }
    }

    @Test(arguments: inputs)
    func corpusInputHolds(_ target: FuzzTarget, _ folder: String, _ name: String) throws {
        let url = Self.corpus.appendingPathComponent(target.rawValue).appendingPathComponent(folder).appendingPathComponent(name)
        let bytes = try [UInt8](Data(contentsOf: url))
        let problems = target.check(bytes)
        #expect(problems.isEmpty, "\(target.rawValue)/\(folder)/\(name): \(problems.joined(separator: "; "))")
    }
}
