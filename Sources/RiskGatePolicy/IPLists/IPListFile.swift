/// Reads IP list files: one IP or CIDR a line, `#` comments (whole-line or trailing), blank lines ignored.
///
/// Formats of `../shared/datasets/ip/` are all of this kind. Lines that are not an address or
/// network are reported with their 1-based line and column and skipped. Lines end at `\n`; a `\r`
/// before it (CRLF files) is trimmed like other surrounding blanks.
public enum IPListFile {
    /// A line that is not an IP address or CIDR network.
    public struct BadLine: Sendable, Hashable {
        /// 1-based line in the list file.
        public var line: Int
        /// 1-based column where the bad text starts.
        public var column: Int
        /// The offending text (trimmed, at most 80 characters).
        public var text: String
    }

    /// Parses list text into a set and the lines that could not be read.
    ///
    /// - Complexity: O(n) over the text's UTF-8 bytes plus O(m log m) to build the set of m networks;
    ///   lines are read in place, without allocating per line.
    public static func parse(_ text: String) -> (set: IPSet, networks: Int, badLines: [BadLine]) {
        var text = text
        var networks: [IPNetwork] = []
        var bad: [BadLine] = []
        text.withUTF8 { bytes in
            networks.reserveCapacity(bytes.count / 16)
            var lineNumber = 0
            var lineStart = 0
            let count = bytes.count
            while lineStart <= count {
                lineNumber += 1
                // One pass finds the line end, the first `#`, and whether any byte is non-ASCII.
                var lineEnd = lineStart
                var hash = -1
                var nonASCII: UInt8 = 0
                while lineEnd < count {
                    let byte = bytes[lineEnd]
                    if byte == UInt8(ascii: "\n") { break }
                    if byte == UInt8(ascii: "#") && hash < 0 { hash = lineEnd }
                    nonASCII |= byte & 0x80
                    lineEnd += 1
                }
                defer { lineStart = lineEnd + 1 }
                if nonASCII != 0 {
                    // Never a valid entry unless inside a comment; Character rules decide exactly where.
                    let line = String(decoding: UnsafeBufferPointer(rebasing: bytes[lineStart..<lineEnd]), as: UTF8.self)
                    readSlowly(line, lineNumber: lineNumber, into: &networks, bad: &bad)
                    continue
                }
                var first = lineStart
                var last = hash >= 0 ? hash : lineEnd
                while first < last && isBlank(bytes[first]) { first += 1 }
                while last > first && isBlank(bytes[last - 1]) { last -= 1 }
                if first == last { continue }
                let entry = UnsafeBufferPointer(rebasing: bytes[first..<last])
                if let network = IPNetwork.parse(utf8: entry) {
                    networks.append(network)
                } else {
                    let shown = UnsafeBufferPointer(rebasing: entry[0..<min(entry.count, 80)])
                    bad.append(BadLine(line: lineNumber, column: first - lineStart + 1,
                                       text: String(decoding: shown, as: UTF8.self)))
                }
            }
        }
        return (IPSet(networks), networks.count, bad)
    }

    @inline(__always)
    private static func isBlank(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r")
    }

    /// One line holding non-ASCII text, read by `Character` so combining marks stay with their base
    /// (`#\u{301}` is not a comment) and columns and the 80-character cut count characters.
    private static func readSlowly(_ line: String, lineNumber: Int, into networks: inout [IPNetwork], bad: inout [BadLine]) {
        var line = line[...]
        if let hash = line.firstIndex(of: "#") { line = line[..<hash] }
        let blank: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
        let leading = line.prefix(while: blank).count
        let trimmed = line.drop(while: blank).reversed().drop(while: blank).reversed()
        if trimmed.isEmpty { return }
        let entry = String(trimmed)
        if let network = IPNetwork(entry) {
            networks.append(network)
        } else {
            bad.append(BadLine(line: lineNumber, column: leading + 1, text: String(entry.prefix(80))))
        }
    }
}
