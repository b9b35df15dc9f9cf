import Foundation

/// Number and text formatting shared by the report renderers (locale-independent on purpose:
/// reports are compared and archived).
package enum ReportFormatting {
    /// `1234567` → `1,234,567`.
    package static func count(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (offset, character) in digits.enumerated() {
            if offset > 0 && (digits.count - offset) % 3 == 0 { out.append(",") }
            out.append(character)
        }
        return value < 0 ? "-" + out : out
    }

    /// A 0...1 ratio as a percentage with one decimal, `n/a` when undefined.
    package static func percent(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "n/a" }
        return String(format: "%.1f%%", value * 100)
    }

    /// A number with `digits` decimals, `n/a` when undefined.
    package static func fixed(_ value: Double?, _ digits: Int) -> String {
        guard let value, value.isFinite else { return "n/a" }
        return String(format: "%.\(digits)f", value)
    }

    /// Bytes as MiB with one decimal.
    package static func mebibytes(_ bytes: Int) -> String {
        String(format: "%.1f MiB", Double(bytes) / 1_048_576)
    }

    /// Text from the dataset made safe for a terminal: control characters (including ESC, so no
    /// ANSI injection) become `?`, and long text is cut.
    package static func terminalSafe(_ text: String, limit: Int = 64) -> String {
        var out = ""
        for scalar in text.unicodeScalars.prefix(limit) {
            if scalar.value < 0x20 || (scalar.value >= 0x7F && scalar.value < 0xA0) || scalar.properties.generalCategory == .format {
                out.append("?")
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return text.unicodeScalars.count > limit ? out + "…" : out
    }

    /// Text escaped for HTML element content and quoted attribute values.
    package static func html(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text.unicodeScalars {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                if character.value < 0x20 && character != "\n" && character != "\t" {
                    out += "&#xFFFD;"
                } else {
                    out.unicodeScalars.append(character)
                }
            }
        }
        return out
    }

    /// Lays out rows as aligned columns; numeric columns (`rightAligned`) are right-aligned.
    package static func columns(_ rows: [[String]], rightAligned: Set<Int>, gap: Int = 2) -> String {
        guard let width = rows.map(\.count).max() else { return "" }
        var widths = [Int](repeating: 0, count: width)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        var lines: [String] = []
        for row in rows {
            var line = ""
            for (i, cell) in row.enumerated() {
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                if i > 0 { line += String(repeating: " ", count: gap) }
                line += rightAligned.contains(i) ? pad + cell : cell + (i == row.count - 1 ? "" : pad)
            }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }
}
