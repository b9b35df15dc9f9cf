import NIOCore
import RiskGate
import RiskGatePolicy

/// The decision body read straight from its bytes, for the common case of a well-formed request.
///
/// `JSONDecoder` costs more than the decision itself. A body that parses here (the core's
/// JSONL event parser, which accepts what `JSONDecoder` accepts for a request) and has only known
/// keys gives the same ``RiskGate/RequestContext`` the decoder would; anything else, including
/// every malformed body, returns `nil` and goes through ``DecisionRequestBody``, whose errors name
/// the offending field.
package enum FastDecisionBody {
    /// The request in `buffer`: by the fast path when it applies, else by ``DecisionRequestBody``;
    /// either way checked by ``DecisionRequestBody/validate(_:)``.
    ///
    /// - Throws: ``APIError`` naming the offending field.
    package static func read(_ buffer: ByteBuffer) throws -> RiskGatePolicy.RequestContext {
        guard var fast = try parse(buffer) else { return try JSONInput.decode(DecisionRequestBody.self, from: buffer).context }
        try DecisionRequestBody.validate(&fast)
        return fast
    }

    /// - Throws: ``APIError`` for a field given twice (`JSONDecoder` would silently keep one).
    static func parse(_ buffer: ByteBuffer) throws -> RiskGatePolicy.RequestContext? {
        let parsed = buffer.withUnsafeReadableBytes { raw in
            Result { () throws(JSONScanner.Failure) in try EventLineParser.parseNotingUnknownKeys(raw, maxDepth: JSONInput.maxDepth) }
        }
        switch parsed {
        case .success(let event):
            return event.skippedUnknownKeys ? nil : event.context
        case .failure(let failure):
            if let key = failure.duplicateKey { throw APIError.invalidField(key, failure.message) }
            return nil
        }
    }
}
