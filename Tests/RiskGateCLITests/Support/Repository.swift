import Foundation

/// Files of the repository the tests read (never write): the example policies and datasets.
enum Repository {
    /// The package root, three folders above this file (`Tests/RiskGateCLITests/Support/`).
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The absolute path of `relative` inside the repository, e.g. `policies/web-login.yaml`.
    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    /// The example policies, `policies/*.yaml`, as file names.
    static var examplePolicies: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path("policies"))) ?? [])
            .filter { $0.hasSuffix(".yaml") }.sorted()
    }

    /// The example policy every command test decides with.
    static let webLogin = path("policies/web-login.yaml")
}
