/// A failure the backend reports to the caller, mapped by the server to an HTTP status.
///
/// Messages are shown to API clients: lowercase, no final period, no secrets.
public enum BackendError: Error, Sendable, Hashable {
    /// The named thing (`challenge`, `decision`, ...) does not exist. HTTP 404.
    case notFound(String)
    /// A field's value is unusable; `field` is a dotted path such as `geo.lat`. HTTP 400.
    case invalid(field: String, message: String)
    /// The request conflicts with current state (e.g. a challenge already completed). HTTP 409.
    case conflict(String)
    /// The backend cannot serve now (store busy, shutting down); the client may retry. HTTP 503.
    case unavailable(String)
}
