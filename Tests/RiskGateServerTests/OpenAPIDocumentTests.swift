import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
@testable import RiskGateServer
import Testing

/// docs/openapi.yaml, the copy the service serves, and the routes stay in step: every route is
/// documented, every documented operation is answered, and each needs the scope it documents.
@Suite struct OpenAPIDocumentTests {
    static let docsFile = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs/openapi.yaml")

    /// The served document as JSON.
    static func document() throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(OpenAPIDocument.json)) as? [String: Any])
    }

    /// (path template, method, scope or nil for a public operation) for every documented operation.
    static func operations() throws -> [(path: String, method: String, scope: String?)] {
        let paths = try #require(try document()["paths"] as? [String: [String: Any]])
        var found: [(String, String, String?)] = []
        for (path, item) in paths {
            for (method, operation) in item {
                guard let operation = operation as? [String: Any] else { continue }
                let isPublic = (operation["security"] as? [Any])?.isEmpty == true
                found.append((path, method.uppercased(), isPublic ? nil : operation["x-riskgate-scope"] as? String ?? "?"))
            }
        }
        return found.sorted { ($0.0, $0.1) < ($1.0, $1.1) }
    }

    @Test func theServedCopyIsDocsOpenAPIYAML() throws {
        let docs = try String(contentsOf: Self.docsFile, encoding: .utf8)
        #expect(OpenAPIDocument.yaml == docs, "run scripts/embed-openapi.sh after editing docs/openapi.yaml")
        let document = try Self.document()
        #expect(document["openapi"] as? String == "3.1.0")
        #expect(!String(decoding: OpenAPIDocument.json, as: UTF8.self).contains("does not parse"))
    }

    @Test func everyRouteIsDocumentedAndEveryDocumentedOperationIsARoute() throws {
        let documented = Set(try Self.operations().map { "\($0.method) \($0.path)" })
        let routed = Set(EndpointTable.endpoints.flatMap { endpoint in endpoint.methods.map { "\($0.rawValue) \(endpoint.template)" } })
        #expect(documented == routed, "documented only: \(documented.subtracting(routed)); routed only: \(routed.subtracting(documented))")
    }

    @Test func eachOperationNeedsTheScopeItDocuments() async throws {
        let h = try Harness()
        let operations = try Self.operations()
        try await h.app.test(.router) { client in
            for operation in operations {
                let path = operation.path.replacingOccurrences(of: "{id}", with: "ch-1").replacingOccurrences(of: "{user}", with: "u-1")
                let method = HTTPRequest.Method(operation.method)!
                let body = method == .get ? nil : "{}"
                guard let scope = operation.scope else {
                    let response = try await client.send(method, path)
                    #expect(response.status == .ok, "\(operation.method) \(path) is documented as public")
                    continue
                }
                #expect(["decide", "verify", "admin", "metrics"].contains(scope), "\(operation.method) \(path): scope \(scope)")
                let without = try await client.send(method, path, key: scope == "decide" ? TestKeys.verify : TestKeys.decide, body: body)
                #expect(without.status == .forbidden, "\(operation.method) \(path) without `\(scope)`: \(without.status)")
                let anonymous = try await client.send(method, path, body: body)
                #expect(anonymous.status == .unauthorized, "\(operation.method) \(path) without a key: \(anonymous.status)")
                let with = try await client.send(method, path, key: TestKeys.all, body: body)
                #expect(with.status != .forbidden && with.status != .unauthorized && with.status != .methodNotAllowed,
                        "\(operation.method) \(path) with `\(scope)`: \(with.status)")
            }
        }
    }

    @Test func theDocumentIsServedWithoutAKey() async throws {
        let h = try Harness()
        try await h.app.test(.router) { client in
            let response = try await client.send(.get, "/openapi.json")
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/json")
            #expect(Array(response.body.readableBytesView) == OpenAPIDocument.json)
        }
    }

    /// Plain scalars follow YAML's core schema; quoted ones stay strings (`"200"`, `"1"`).
    @Test func scalarsAreTypedAsYAMLCoreSchemaTypesThem() throws {
        let document = try Self.document()
        let info = try #require(document["info"] as? [String: Any])
        #expect(info["version"] as? String == "1")
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        let decide = try #require(paths["/v1/decisions"]?["post"] as? [String: Any])
        let responses = try #require(decide["responses"] as? [String: Any])
        #expect(responses["200"] != nil)
        let body = try #require(decide["requestBody"] as? [String: Any])
        #expect(body["required"] as? Bool == true)
        let schemas = try #require((document["components"] as? [String: Any])?["schemas"] as? [String: Any])
        let decision = try #require(schemas["Decision"] as? [String: Any])
        let score = try #require((decision["properties"] as? [String: Any])?["score"] as? [String: Any])
        #expect(score["maximum"] as? Int == 100)
    }
}
