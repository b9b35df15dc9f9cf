import RiskGateEngine
import RiskGatePolicy

/// Converts the public RBA login data set's CSV (Wiefling et al., 16 columns) to JSONL events (docs/http-api.md).
///
/// Streams: memory is one line buffer and one output buffer, whatever the file size (the full set
/// is 33M rows, ~9 GB). Rows that cannot be read are reported through `onBadRow` and skipped.
///
/// Mapping: `index` → `id`, `Login Timestamp` → `time` (UTC), `User ID` → `user`, `IP Address` → `ip`
/// (as given), `Country`/`ASN` → `geo`, `User Agent String` → `device.user_agent`,
/// `Login Successful` → `result`, `Is Attack IP`/`Is Account Takeover` → `label`; every event is a
/// `web` `login`. Round-trip time, region, city and the parsed browser/OS/device-type columns have
/// no place in the request shape and are dropped.
public struct RBACSVImporter: Sendable {
    /// The 16 column names, in file order.
    public static let columns = [
        "index", "Login Timestamp", "User ID", "Round-Trip Time [ms]", "IP Address", "Country", "Region",
        "City", "ASN", "User Agent String", "Browser Name and Version", "OS Name and Version", "Device Type",
        "Login Successful", "Is Attack IP", "Is Account Takeover",
    ]

    /// A row that was skipped.
    public struct BadRow: Sendable, Hashable, CustomStringConvertible {
        /// 1-based line in the file (the header is line 1).
        public var line: Int
        /// What is wrong, lowercase, user text in backticks.
        public var problem: String
        public var description: String { "line \(line): \(problem)" }
    }

    /// Counts for the summary line.
    public struct Summary: Sendable, Hashable {
        /// Lines read, header and blank lines included.
        public var lines = 0
        /// Events written.
        public var events = 0
        /// Rows skipped as bad.
        public var badRows = 0
        /// Whether the first line was the known header.
        public var sawHeader = false
    }

    /// Longest line kept; longer ones are bad rows.
    public var maxLineBytes: Int

    /// Creates an importer; lines longer than `maxLineBytes` are reported and skipped.
    public init(maxLineBytes: Int = 1 << 20) {
        self.maxLineBytes = maxLineBytes
    }

    /// Reads `source` to its end, writing one event a good row to `writer`.
    ///
    /// The writer is flushed at the end.
    /// - Throws: read or write errors (``ByteSourceError``, ``EventWriter/WriteError``); bad rows never throw.
    public func run<Source: ByteSource>(
        source: Source, writer: EventWriter, onBadRow: (BadRow) -> Void
    ) throws -> Summary {
        var reader = LineReader(source: source, capacity: maxLineBytes)
        var record = CSVRecord(maxFields: 16)
        var scratch: [UInt8] = []
        scratch.reserveCapacity(1024)
        var summary = Summary()
        while let line = try reader.next() {
            summary.lines += 1
            let lineNumber = reader.lineNumber
            guard case .text(var bytes) = line else {
                summary.badRows += 1
                onBadRow(BadRow(line: lineNumber, problem: "line longer than \(maxLineBytes) bytes"))
                continue
            }
            // A UTF-8 byte-order mark (spreadsheet exports write one) is not part of the header.
            if lineNumber == 1 && bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
                bytes = UnsafeRawBufferPointer(rebasing: bytes[3...])
            }
            if bytes.isEmpty { continue }
            if let problem = record.split(bytes) {
                summary.badRows += 1
                switch problem {
                case .unterminatedQuote(let column):
                    let what = reader.lastLineUnterminated ? "truncated line: " : ""
                    onBadRow(BadRow(line: lineNumber, problem: "\(what)unterminated quote starting at column \(column)"))
                case .textAfterClosingQuote(let column):
                    onBadRow(BadRow(line: lineNumber, problem: "text after a closing quote at column \(column)"))
                }
                continue
            }
            if lineNumber == 1 && isHeader(record, bytes) {
                summary.sawHeader = true
                continue
            }
            if let problem = writeEvent(record, bytes, writer: writer, scratch: &scratch) {
                summary.badRows += 1
                let what = reader.lastLineUnterminated ? "truncated line: " : ""
                onBadRow(BadRow(line: lineNumber, problem: what + problem))
                continue
            }
            summary.events += 1
            try writer.endLine()
        }
        try writer.flush()
        return summary
    }

    private func isHeader(_ record: CSVRecord, _ line: UnsafeRawBufferPointer) -> Bool {
        guard record.fieldCount >= 1 else { return false }
        let first = record.bytes(0, in: line)
        return first.elementsEqual("index".utf8)
    }

    /// Validates a row and writes its event; returns the problem instead when the row is bad.
    private func writeEvent(
        _ r: CSVRecord, _ line: UnsafeRawBufferPointer, writer w: EventWriter, scratch: inout [UInt8]
    ) -> String? {
        guard r.fieldCount == 16 else { return "expected 16 columns, found \(r.fieldCount)" }
        let time = r.bytes(1, in: line)
        guard let seconds = Timestamp.epochSeconds(utf8: time) else {
            return "`Login Timestamp` is not a timestamp: `\(Self.excerpt(time))`"
        }
        guard let success = Self.boolean(r.bytes(13, in: line)) else {
            return "`Login Successful` is not True or False: `\(Self.excerpt(r.bytes(13, in: line)))`"
        }
        guard let attack = Self.boolean(r.bytes(14, in: line)) else {
            return "`Is Attack IP` is not True or False: `\(Self.excerpt(r.bytes(14, in: line)))`"
        }
        guard let takeover = Self.boolean(r.bytes(15, in: line)) else {
            return "`Is Account Takeover` is not True or False: `\(Self.excerpt(r.bytes(15, in: line)))`"
        }
        let user = r.bytes(2, in: line)
        guard !user.isEmpty else { return "`User ID` is empty" }
        // The limits replay's request check applies, so every event written can be replayed.
        guard user.count <= RequestContext.maxUserBytes else {
            return "`User ID` is longer than \(RequestContext.maxUserBytes) bytes"
        }
        // Written as JSON, bytes that are not UTF-8 would become U+FFFD (3 bytes each): two different
        // ids would then name one user, and the id could outgrow the limit above (found by fuzzing:
        // Fuzz/Corpus/csv/regressions/user-id-not-utf8.csv).
        guard let text = String(validating: user, as: UTF8.self) else { return "`User ID` is not UTF-8" }
        do {
            // Replay puts ids in their one form when it reads them; refuse here what it would refuse.
            _ = try UserID.canonical(text)
        } catch {
            return "`User ID` \(error.message)"
        }
        let ip = r.bytes(4, in: line)
        guard ip.isEmpty || IPAddress.parse(utf8: ip.assumingMemoryBound(to: UInt8.self)) != nil else {
            return "`IP Address` is not an IPv4 or IPv6 address"
        }
        let asnBytes = r.bytes(8, in: line)
        var asn: Int? = nil
        if !asnBytes.isEmpty {
            guard let value = Self.integer(asnBytes), value >= 0 else {
                return "`ASN` is not a number: `\(Self.excerpt(asnBytes))`"
            }
            asn = value
        }

        w.raw("{")
        let index = r.bytes(0, in: line)
        if !index.isEmpty {
            w.raw("\"id\":")
            field(r, 0, line, w, &scratch)
            w.raw(",")
        }
        w.raw("\"time\":")
        w.timestamp(epochMilliseconds: Int64((seconds * 1000).rounded()))
        w.raw(",\"user\":")
        field(r, 2, line, w, &scratch)
        w.raw(",\"channel\":\"web\",\"action\":\"login\"")
        if !ip.isEmpty {
            w.raw(",\"ip\":")
            field(r, 4, line, w, &scratch)
        }
        let country = r.bytes(5, in: line)
        let hasCountry = !country.isEmpty && !(country.count == 1 && country[0] == 0x2D)
        if hasCountry || asn != nil {
            w.raw(",\"geo\":{")
            if hasCountry {
                w.raw("\"country\":")
                field(r, 5, line, w, &scratch)
            }
            if let asn {
                w.raw(hasCountry ? ",\"asn\":" : "\"asn\":")
                w.int(asn)
            }
            w.raw("}")
        }
        if !r.bytes(9, in: line).isEmpty {
            w.raw(",\"device\":{\"user_agent\":")
            field(r, 9, line, w, &scratch)
            w.raw("}")
        }
        w.raw(success ? ",\"result\":\"success\",\"label\":{\"attack\":" : ",\"result\":\"failure\",\"label\":{\"attack\":")
        w.bool(attack)
        w.raw(",\"account_takeover\":")
        w.bool(takeover)
        w.raw("}}")
        return nil
    }

    /// Writes field `index` as a JSON string, undoing CSV quote doubling first when needed.
    @inline(__always)
    private func field(
        _ r: CSVRecord, _ index: Int, _ line: UnsafeRawBufferPointer, _ w: EventWriter, _ scratch: inout [UInt8]
    ) {
        let bytes = r.bytes(index, in: line)
        if r.fields[index].escaped {
            CSVRecord.unescape(bytes, into: &scratch)
            scratch.withUnsafeBytes { w.string(utf8: $0) }
        } else {
            w.string(utf8: bytes)
        }
    }

    /// `True`/`False` in any case, or `1`/`0`.
    static func boolean(_ b: UnsafeRawBufferPointer) -> Bool? {
        switch b.count {
        case 1:
            if b[0] == 0x31 { return true }
            if b[0] == 0x30 { return false }
            return nil
        case 4:
            return b[0] | 0x20 == 0x74 && b[1] | 0x20 == 0x72 && b[2] | 0x20 == 0x75 && b[3] | 0x20 == 0x65 ? true : nil
        case 5:
            return b[0] | 0x20 == 0x66 && b[1] | 0x20 == 0x61 && b[2] | 0x20 == 0x6C && b[3] | 0x20 == 0x73
                && b[4] | 0x20 == 0x65 ? false : nil
        default:
            return nil
        }
    }

    /// A non-negative decimal integer of at most 18 digits.
    static func integer(_ b: UnsafeRawBufferPointer) -> Int? {
        guard !b.isEmpty, b.count <= 18 else { return nil }
        var v = 0
        for c in b {
            guard c >= 0x30, c <= 0x39 else { return nil }
            v = v * 10 + Int(c - 0x30)
        }
        return v
    }

    /// At most 40 characters of a field for an error message, with invalid UTF-8 replaced.
    static func excerpt(_ b: UnsafeRawBufferPointer) -> String {
        let text = String(decoding: b.prefix(40), as: UTF8.self)
        return b.count > 40 ? text + "…" : text
    }
}
