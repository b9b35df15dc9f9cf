import Hummingbird

/// The per-request context of the RiskGate service: Hummingbird's core context plus the caller's
/// authenticated identity.
public struct ServerContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The key holder, when the request carried a known API key; scopes are checked per route.
    public var principal: APIKeyStore.Principal?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        principal = nil
    }
}
