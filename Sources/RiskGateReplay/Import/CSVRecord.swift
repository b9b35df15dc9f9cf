#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Splits one CSV line into fields by RFC 4180, without copying.
///
/// Quoted fields may hold commas and doubled quotes (`""`); they may not span lines: the RBA export
/// never does this, and treating an open quote at the end of a line as an error keeps one broken row
/// from swallowing the rows after it. A quote inside an unquoted field is kept as a literal.
struct CSVRecord {
    /// One field's bytes within the line; `escaped` when it holds `""` pairs still to be undone.
    struct Field {
        var start: Int
        var end: Int
        var escaped: Bool
    }

    /// Why a line is not a CSV record.
    enum Problem: Equatable {
        case unterminatedQuote(column: Int)
        case textAfterClosingQuote(column: Int)
    }

    /// Fields found, at most `maxFields`; ``fieldCount`` counts them all.
    private(set) var fields: [Field]
    /// Number of fields in the line (may exceed `maxFields`).
    private(set) var fieldCount = 0
    private let maxFields: Int

    init(maxFields: Int) {
        self.maxFields = maxFields
        fields = Array(repeating: Field(start: 0, end: 0, escaped: false), count: maxFields)
    }

    /// Splits `line`; on success ``fields`` holds the first `maxFields` fields.
    mutating func split(_ line: UnsafeRawBufferPointer) -> Problem? {
        fieldCount = 0
        let n = line.count
        guard let base = line.baseAddress else {
            store(Field(start: 0, end: 0, escaped: false))
            return nil
        }
        var i = 0
        while true {
            if i < n && line[i] == 0x22 {
                // Quoted field: find the closing quote, skipping doubled quotes.
                let contentStart = i + 1
                var j = contentStart
                var escaped = false
                while true {
                    guard j < n, let q = memchr(base + j, 0x22, n - j) else {
                        return .unterminatedQuote(column: i + 1)
                    }
                    j = base.distance(to: UnsafeRawPointer(q))
                    if j + 1 < n && line[j + 1] == 0x22 {
                        escaped = true
                        j += 2
                        continue
                    }
                    break
                }
                store(Field(start: contentStart, end: j, escaped: escaped))
                i = j + 1
                if i == n { return nil }
                guard line[i] == 0x2C else { return .textAfterClosingQuote(column: i + 1) }
                i += 1
            } else {
                let fieldStart = i
                let comma = i < n ? memchr(base + i, 0x2C, n - i) : nil
                guard let comma else {
                    store(Field(start: fieldStart, end: n, escaped: false))
                    return nil
                }
                let j = base.distance(to: UnsafeRawPointer(comma))
                store(Field(start: fieldStart, end: j, escaped: false))
                i = j + 1
            }
        }
    }

    @inline(__always)
    private mutating func store(_ field: Field) {
        if fieldCount < maxFields { fields[fieldCount] = field }
        fieldCount += 1
    }

    /// The bytes of field `index` as they appear in `line` (still escaped if ``Field/escaped``).
    @inline(__always)
    func bytes(_ index: Int, in line: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        let f = fields[index]
        return UnsafeRawBufferPointer(rebasing: line[f.start..<f.end])
    }

    /// Undoes `""` → `"` for an escaped field into `scratch`.
    static func unescape(_ bytes: UnsafeRawBufferPointer, into scratch: inout [UInt8]) {
        scratch.removeAll(keepingCapacity: true)
        var i = 0
        while i < bytes.count {
            let c = bytes[i]
            scratch.append(c)
            i += (c == 0x22 && i + 1 < bytes.count && bytes[i + 1] == 0x22) ? 2 : 1
        }
    }
}
