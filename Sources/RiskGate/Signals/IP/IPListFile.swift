/// Reads IP list files: one IP or CIDR a line, `#` comments (whole-line or trailing), blank lines ignored.
///
/// Formats of `../shared/datasets/ip/` are all of this kind. Lines that are not an address or
/// network are reported with their 1-based line and column and skipped.
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
    public static func parse(_ text: String) -> (set: IPSet, networks: Int, badLines: [BadLine]) {
        var networks: [IPNetwork] = []
        var bad: [BadLine] = []
        var lineNumber = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            var line = rawLine[...]
            if let hash = line.firstIndex(of: "#") { line = line[..<hash] }
            let leading = line.prefix(while: { $0 == " " || $0 == "\t" || $0 == "\r" }).count
            let trimmed = line.drop(while: { $0 == " " || $0 == "\t" || $0 == "\r" })
                .reversed().drop(while: { $0 == " " || $0 == "\t" || $0 == "\r" }).reversed()
            if trimmed.isEmpty { continue }
            let entry = String(trimmed)
            if let network = IPNetwork(entry) {
                networks.append(network)
            } else {
                bad.append(BadLine(line: lineNumber, column: leading + 1, text: String(entry.prefix(80))))
            }
        }
        return (IPSet(networks), networks.count, bad)
    }
}
