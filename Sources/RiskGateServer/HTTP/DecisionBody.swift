import NIOCore
import RiskGateEngine
import RiskGatePolicy

/// `POST /v1/decisions` body: read by the core's event parser (the one replay reads event lines
/// with), so the service and replay accept exactly the same requests.
///
/// Unknown keys are refused at the top level and inside `geo`, `device`, `typing` (and its keys),
/// `phone` and `label`: a misspelt field (`"chanel"`) would otherwise be dropped silently and turn
/// off the signals that depend on it. `signals` is free-form by design.
package enum DecisionBody {
    static let topLevel: Set<String> = [
        "id", "time", "user", "channel", "action", "ip", "geo", "device", "typing", "phone", "result", "label", "signals",
    ]
    /// Nested objects and their keys, in the order their unknown keys are reported.
    static let nested: [(name: String, keys: Set<String>)] = [
        ("device", ["id", "user_agent", "emulator", "rooted"]),
        ("geo", ["country", "lat", "lon", "accuracy_km", "asn"]),
        ("label", ["attack", "account_takeover"]),
        ("phone", ["ani"]),
        ("typing", ["field", "keys"]),
    ]
    /// Most keystrokes one typing sample may carry.
    static let maxKeys = 512

    /// The request in `buffer`, checked by ``validate(_:)``.
    ///
    /// - Throws: ``APIError`` naming the offending field.
    package static func read(_ buffer: ByteBuffer) throws -> RiskGatePolicy.RequestContext {
        let event = try JSONInput.read(buffer) { raw throws(JSONBodyError) in
            try EventLineParser.parseRequest(raw, maxDepth: JSONInput.maxDepth)
        }
        if event.skippedUnknownKeys, let unknown = firstUnknownKey(buffer) { throw APIError.unknownField(unknown) }
        var context = event.context
        try validate(&context)
        return context
    }

    /// The first key the body does not define: top level first, then the nested objects, then
    /// the typing keys. Runs only when the parser skipped a key, so the common body pays nothing.
    static func firstUnknownKey(_ buffer: ByteBuffer) -> String? {
        guard let body = try? JSONInput.object(buffer) else { return nil }
        if let unknown = body.firstUnknownKey(allowed: topLevel) { return unknown }
        for (name, keys) in nested {
            guard let object = try? body.optionalObject(name) else { continue }
            if let unknown = object.firstUnknownKey(allowed: keys) { return unknown }
        }
        guard let typing = try? body.optionalObject("typing"), let keys = try? typing.optionalObjects("keys") else { return nil }
        for key in keys {
            if let unknown = key.firstUnknownKey(allowed: ["down", "up"]) { return unknown }
        }
        return nil
    }

    /// Checks what the parser does not: the core's ``RiskGatePolicy/RequestContext/validate()`` (the
    /// checks replay applies too), then this endpoint's own: `channel` and the limit on keystrokes.
    static func validate(_ context: inout RiskGatePolicy.RequestContext) throws {
        do {
            try context.validate()
        } catch {
            throw APIError.invalidField(error.field, error.message)
        }
        // Another value (`"Web"`, `"sms"`) would match no `channel == ...` rule (the compiler warns
        // such a comparison is always false), so every channel rule would be skipped without a word.
        if let channel = context.channel, !RiskGatePolicy.RequestContext.channels.contains(channel) {
            let allowed = RiskGatePolicy.RequestContext.channels.map { "`\($0)`" }.joined(separator: ", ")
            throw APIError.invalidField("channel", "`channel` must be one of \(allowed)")
        }
        if let typing = context.typing, typing.keys.count > Self.maxKeys {
            throw APIError.invalidField("typing.keys", "`typing.keys` has more than \(Self.maxKeys) keys")
        }
    }
}
