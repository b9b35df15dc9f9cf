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
            guard let parsed = try? EventLineParser.parseNotingUnknownKeys(raw, maxDepth: JSONInput.maxDepth),
                  !parsed.skippedUnknownKeys
            else { return nil }
            return parsed.context
        }
    }
}
