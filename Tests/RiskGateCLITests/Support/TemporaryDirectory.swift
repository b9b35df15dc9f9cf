import Foundation

/// A folder of its own for one test's files.
///
/// Every test writes into a fresh one, so tests share no files and can run in parallel. The test
/// removes it with `defer { folder.remove() }`: an explicit end, where a `deinit` could run as
/// soon as the last Swift use of the value, before the child process has read the files.
struct TemporaryDirectory: Sendable {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("riskgate-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// Deletes the folder and everything in it.
    func remove() { try? FileManager.default.removeItem(at: url) }

    /// The absolute path of `name` inside the folder (the file need not exist).
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// Writes `text` to `name` and returns its absolute path.
    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        try write(name, Data(text.utf8))
    }

    /// Writes `data` to `name` and returns its absolute path.
    @discardableResult
    func write(_ name: String, _ data: Data) throws -> String {
        let target = url.appendingPathComponent(name)
        try data.write(to: target)
        return target.path
    }
}
