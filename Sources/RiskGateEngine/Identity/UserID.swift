import Foundation

/// The one form of a user id, used at every boundary (HTTP bodies and paths, the command line,
/// replay lines, the importer) so the cache, SQLite and every index compare the same bytes.
///
/// Follows RFC 8265's UsernameCasePreserved profile of the PRECIS IdentifierClass (RFC 8264):
/// 1. width mapping: fullwidth and halfwidth forms become their ordinary forms (`ｒｅｎｅｅ` → `renee`);
/// 2. no case mapping (ids are case-sensitive, as they were);
/// 3. Unicode NFC: `rene\u{301}e` and `ren\u{E9}e` are one id, stored as the latter;
/// 4. refused: empty ids; controls; spaces; default-ignorable code points (zero-width joiners,
///    soft hyphens, variation selectors), which render as nothing and make two ids look alike;
///    unassigned code points; symbols and punctuation outside printable ASCII; characters with a
///    compatibility decomposition (`ﬁ`, `①`, `ℌ`) other than the width forms of step 1; old Hangul jamo.
///
/// Letters, marks and digits of every script and printable ASCII (`a-z`, `@`, `.`, `+`, `-`, …) are
/// allowed. RFC 5893's bidi rule is not applied; bidi overrides and isolates are refused as controls.
public enum UserID {
    /// Why an id was refused; the message never echoes the id (it may be personal data).
    public struct Problem: Error, Sendable, Hashable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// Longest id, in UTF-8 bytes after mapping.
    public static let maxBytes = 256

    /// The canonical form of `raw`.
    ///
    /// - Throws: ``Problem`` naming the rule the id breaks.
    /// - Complexity: O(n); an id of printable ASCII (the usual case) is checked byte by byte and
    ///   returned as it is, without allocating.
    public static func canonical(_ raw: String) throws(Problem) -> String {
        guard !raw.isEmpty else { throw Problem(message: "must not be empty") }
        var ascii = true
        for byte in raw.utf8 {
            if byte >= 0x80 { ascii = false; break }
            if byte <= 0x20 || byte == 0x7F {
                throw Problem(message: byte == 0x20 ? "must not contain spaces" : "must not contain control characters")
            }
        }
        if ascii {
            guard raw.utf8.count <= maxBytes else { throw Problem(message: "must be at most \(maxBytes) bytes") }
            return raw
        }
        guard raw.utf8.count <= 4 * maxBytes else { throw Problem(message: "must be at most \(maxBytes) bytes") }
        var mapped = String.UnicodeScalarView()
        for scalar in raw.unicodeScalars {
            if isWidthForm(scalar) {
                mapped.append(contentsOf: String(scalar).precomposedStringWithCompatibilityMapping.unicodeScalars)
            } else {
                mapped.append(scalar)
            }
        }
        let normalized = String(mapped).precomposedStringWithCanonicalMapping
        guard normalized.utf8.count <= maxBytes else { throw Problem(message: "must be at most \(maxBytes) bytes") }
        for scalar in normalized.unicodeScalars {
            if let reason = refusal(scalar) { throw Problem(message: "must not contain \(reason) (U+\(String(scalar.value, radix: 16, uppercase: true)))") }
        }
        return normalized
    }

    /// Fullwidth and halfwidth forms (U+FF01–U+FFEE) and the ideographic space, whose compatibility
    /// decomposition is `<wide>` or `<narrow>`: the only compatibility mappings RFC 8265 applies.
    private static func isWidthForm(_ scalar: Unicode.Scalar) -> Bool {
        (0xFF01...0xFFEE).contains(scalar.value) || scalar.value == 0x3000
    }

    /// Why IdentifierClass refuses `scalar`, or `nil` when it is allowed.
    private static func refusal(_ scalar: Unicode.Scalar) -> String? {
        let v = scalar.value
        if v < 0x80 {
            if v <= 0x20 || v == 0x7F { return v == 0x20 ? "spaces" : "control characters" }
            return nil
        }
        let properties = scalar.properties
        if properties.isDefaultIgnorableCodePoint { return "invisible (default-ignorable) characters" }
        if (0x1100...0x11FF).contains(v) || (0xA960...0xA97F).contains(v) || (0xD7B0...0xD7FF).contains(v) {
            return "old Hangul jamo"
        }
        switch properties.generalCategory {
        case .lowercaseLetter, .uppercaseLetter, .otherLetter, .modifierLetter, .decimalNumber,
             .nonspacingMark, .spacingMark:
            break
        case .control, .format, .lineSeparator, .paragraphSeparator:
            return "control characters"
        case .spaceSeparator:
            return "spaces"
        case .unassigned, .surrogate, .privateUse:
            return "unassigned or private-use code points"
        default:
            return "symbols or punctuation outside ASCII"
        }
        let s = String(scalar)
        if s.precomposedStringWithCompatibilityMapping != s.precomposedStringWithCanonicalMapping {
            return "compatibility characters"
        }
        return nil
    }
}
