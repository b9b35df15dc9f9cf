import Testing
@testable import RiskGateServer

@Suite struct BearerTokenTests {
    @Test func readsTheKeyWhateverTheSchemeCase() {
        #expect(GatewayMiddleware.bearerToken("Bearer abc123") == "abc123")
        #expect(GatewayMiddleware.bearerToken("bearer abc123") == "abc123")
        #expect(GatewayMiddleware.bearerToken("BEARER abc123") == "abc123")
        #expect(GatewayMiddleware.bearerToken("bEaReR abc123") == "abc123")
    }

    @Test func ignoresBlanksAroundTheKey() {
        #expect(GatewayMiddleware.bearerToken("Bearer   abc123  ") == "abc123")
        #expect(GatewayMiddleware.bearerToken("Bearer \tabc123\t") == "abc123")
    }

    @Test func refusesOtherSchemesAndEmptyKeys() {
        #expect(GatewayMiddleware.bearerToken(nil) == nil)
        #expect(GatewayMiddleware.bearerToken("") == nil)
        #expect(GatewayMiddleware.bearerToken("Bearer ") == nil)
        #expect(GatewayMiddleware.bearerToken("Bearer    ") == nil)
        #expect(GatewayMiddleware.bearerToken("Basic abc123") == nil)
        #expect(GatewayMiddleware.bearerToken("Bearerabc123") == nil)
        #expect(GatewayMiddleware.bearerToken("Bearer_abc123") == nil)
        // Bytes whose case fold would collide with letters are not letters.
        #expect(GatewayMiddleware.bearerToken("Be\u{01}rer abc123") == nil)
        #expect(GatewayMiddleware.bearerToken("Béarer abc123") == nil)
    }
}
