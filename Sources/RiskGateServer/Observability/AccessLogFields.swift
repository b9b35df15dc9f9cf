import Logging

/// Fields a handler adds to its request's access-log line (a decision's id and outcome, a
/// verification's result), so that a request writes one line rather than two.
///
/// The middleware makes one per request and reads it after the handler has returned; only that
/// request's task writes it, one step after another, hence no lock.
final class AccessLogFields: @unchecked Sendable {
    private(set) var metadata: Logger.Metadata = [:]

    /// Adds `fields` (later values replace earlier ones of the same name).
    func add(_ fields: Logger.Metadata) {
        metadata.merge(fields) { _, new in new }
    }
}
