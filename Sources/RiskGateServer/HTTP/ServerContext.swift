import Hummingbird
import NIOCore

/// The per-request context of the RiskGate service: Hummingbird's core context plus the caller's
/// authenticated identity.
public struct ServerContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The key holder, when the request carried a known API key; scopes are checked per route.
    public var principal: APIKeyStore.Principal?

    /// The connection, to stop reading from it after refusing a body (413, 408).
    let channel: any Channel
    /// What the handler adds to the request's access-log line; `nil` when the line is not written.
    var accessLog: AccessLogFields?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        principal = nil
        channel = source.channel
    }
}
