import HTTPTypes

/// The service's paths and the methods each answers (docs/http-api.md), so that a known path asked with
/// another method gets 405 and an `Allow` header, not the 404 of a path that does not exist.
///
/// ``Routes/register(on:)`` adds the handlers; `RouterTests` checks that every method listed here
/// reaches one (none answers 404 or 405), so the two cannot drift apart unnoticed.
package enum EndpointTable {
    /// Path templates (`{name}` matches one non-empty segment) and their methods.
    package static let endpoints: [(template: String, methods: [HTTPRequest.Method])] = [
        ("/healthz", [.get]),
        ("/openapi.json", [.get]),
        ("/metrics", [.get]),
        ("/v1/decisions", [.post]),
        ("/v1/feedback", [.post]),
        ("/v1/challenges/{id}/verify", [.post]),
        ("/v1/accounts/{user}", [.put]),
        ("/v1/policy", [.get, .put]),
        ("/v1/policy/shadow", [.get, .put]),
    ]

    /// The methods `path` answers, or nil when no endpoint has that path.
    package static func methods(forPath path: String) -> [HTTPRequest.Method]? {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        for endpoint in endpoints {
            let template = endpoint.template.split(separator: "/")
            guard template.count == segments.count else { continue }
            if zip(template, segments).allSatisfy({ $0.hasPrefix("{") || $0 == $1 }) { return endpoint.methods }
        }
        return nil
    }
}
