import NIOCore
import RiskGate

/// The decision body read straight from its bytes, for the common case of a well-formed request.
///
/// `JSONDecoder` costs more than the decision itself. A body that parses here (the core's
/// JSONL event parser, which accepts what `JSONDecoder` accepts for a request) and has only known
/// keys gives the same ``RiskGate/RequestContext`` the decoder would; anything else, including
/// every malformed body, returns `nil` and goes through ``DecisionRequestBody``, whose errors name
/// the offending field.
enum FastDecisionBody {
    /// The request in `buffer`: by the fast path when it applies, else by ``DecisionRequestBody``;
    /// either way checked by ``DecisionRequestBody/validate(_:)``.
    ///
    /// - Throws: ``APIError`` naming the offending field.
    static func read(_ buffer: ByteBuffer) throws -> RiskGate.RequestContext {
        guard let fast = parse(buffer) else { return try JSONInput.decode(DecisionRequestBody.self, from: buffer).context }
        try DecisionRequestBody.validate(fast)
        return fast
    }

    static func parse(_ buffer: ByteBuffer) -> RiskGate.RequestContext? {
        buffer.withUnsafeReadableBytes { raw -> RiskGate.RequestContext? in
            guard let parsed = try? EventLineParser.parse(raw, maxDepth: JSONInput.maxDepth) else { return nil }
            var scanner = JSONScanner(raw, maxDepth: JSONInput.maxDepth)
            guard (try? onlyKnownKeys(&scanner)) == true else { return nil }
            return parsed.context
        }
    }

    /// Walks the top-level object; `false` at the first key ``DecisionRequestBody`` would refuse.
    private static func onlyKnownKeys(_ s: inout JSONScanner) throws(JSONScanner.Failure) -> Bool {
        try s.beginObject()
        var first = true
        while let key = try s.nextMember(first: &first) {
            let name = s.string(of: key)
            guard DecisionRequestBody.topLevel.contains(name) else { return false }
            if let allowed = DecisionRequestBody.nested[name] {
                if s.consumeNull() { continue }
                guard try nestedKeysKnown(&s, allowed, checkKeys: name == "typing") else { return false }
            } else {
                try s.skipValue(depth: 1)
            }
        }
        return true
    }

    private static func nestedKeysKnown(_ s: inout JSONScanner, _ allowed: Set<String>, checkKeys: Bool) throws(JSONScanner.Failure) -> Bool {
        try s.beginObject()
        var first = true
        while let key = try s.nextMember(first: &first) {
            let name = s.string(of: key)
            guard allowed.contains(name) else { return false }
            if checkKeys, name == "keys" {
                if s.consumeNull() { continue }
                try s.beginArray()
                var firstElement = true
                while try s.nextElement(first: &firstElement) {
                    guard try nestedKeysKnown(&s, ["down", "up"], checkKeys: false) else { return false }
                }
            } else {
                try s.skipValue(depth: 2)
            }
        }
        return true
    }
}
