import Foundation
import RiskGateEngine
import RiskGatePolicy

/// The service's OpenAPI 3.1 description (docs/openapi.yaml), served as JSON at `GET /openapi.json`.
///
/// The YAML is compiled into the binary (``yaml``, copied by scripts/embed-openapi.sh), so a
/// server copied anywhere still serves it. It is turned into JSON once, with the policy
/// compiler's own YAML reader (libyaml) and YAML 1.2's core schema for plain scalars.
package enum OpenAPIDocument {
    /// The document as compact JSON with sorted keys.
    package static let json: [UInt8] = {
        var diagnostics = DiagnosticBag(file: "docs/openapi.yaml", source: yaml)
        var limits = YAMLLimits()
        limits.maxBytes = 4 << 20
        guard let root = YAMLReader.read(yaml, text: SourceText(yaml), limits: limits, diagnostics: &diagnostics),
              !diagnostics.hasErrors else {
            // The text is fixed at build time and checked by OpenAPIDocumentTests.
            return Array(#"{"error":"the embedded OpenAPI document does not parse"}"#.utf8)
        }
        var writer = JSONWriter(escapesSlashes: false, capacity: 32 * 1024)
        do throws(JSONWriter.Failure) {
            try writer.json(value(of: root))
        } catch {
            return Array(#"{"error":"the embedded OpenAPI document is nested too deeply"}"#.utf8)
        }
        return writer.bytes
    }()

    /// A node as JSON: mappings and sequences as such, quoted and block scalars as strings, plain
    /// scalars as null, booleans, numbers or strings by the core schema.
    package static func value(of node: YAMLNode) -> JSONValue {
        switch node.kind {
        case .mapping(let entries):
            var object: [String: JSONValue] = [:]
            for entry in entries { object[entry.name] = value(of: entry.value) }
            return .object(object)
        case .sequence(let items):
            return .array(items.map(value(of:)))
        case .scalar(let text, .plain):
            if node.isNull { return .null }
            if text == "true" || text == "True" || text == "TRUE" { return .bool(true) }
            if text == "false" || text == "False" || text == "FALSE" { return .bool(false) }
            if isCoreNumber(text), let number = Double(text) { return .number(number) }
            return .string(text)
        case .scalar(let text, _):
            return .string(text)
        }
    }

    /// `[-+]?[0-9]+` or a decimal with `.` and/or an exponent: YAML 1.2 core schema numbers
    /// (`Double(_:)` alone would also take `nan`, `inf` and hex).
    private static func isCoreNumber(_ text: String) -> Bool {
        var sawDigit = false
        for (index, byte) in text.utf8.enumerated() {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): sawDigit = true
            case UInt8(ascii: "-"), UInt8(ascii: "+"): if index != 0 { return false }
            case UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"): continue
            default: return false
            }
        }
        return sawDigit
    }
}
