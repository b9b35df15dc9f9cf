import RiskGateEngine
import RiskGateReplay

/// RBA login data set CSV through ``RBACSVImporter`` (what `riskgate import rba` runs).
///
/// Every line is a header, blank, a bad row (reported) or one event; the events written are JSONL
/// that replay reads back (parse, validate, a `time`). The input arrives in 61-byte chunks, so
/// lines and quoted fields straddle reads; lines over 2 KiB are bad rows, as over 1 MiB in use.
enum CSVCheck {
    static func run(_ bytes: UnsafeRawBufferPointer, _ f: inout Findings) {
        let writer = EventWriter(sink: .memory, bufferSize: 4096)
        var reported = 0
        let summary: RBACSVImporter.Summary
        do {
            summary = try RBACSVImporter(maxLineBytes: 2048).run(
                source: MemoryByteSource(Array(bytes), chunkSize: 61), writer: writer) { row in
                    reported += 1
                    _ = row.description
                }
        } catch {
            f.fail("importer threw \(error) reading from memory")
            return
        }
        f.require(summary.badRows == reported, "\(summary.badRows) bad rows counted, \(reported) reported")
        f.require(summary.events + summary.badRows <= summary.lines, "more events and bad rows than lines")
        let lines = writer.collected.split(separator: UInt8(ascii: "\n"))
        f.require(lines.count == summary.events, "\(summary.events) events counted, \(lines.count) lines written")
        for line in lines {
            let text = String(decoding: line, as: UTF8.self)
            switch ReplayCheck.parse(Array(line)) {
            case .success(var parsed):
                do { try parsed.context.validate() } catch { f.fail("written event fails validation (\(error.message)): \(text)") }
                f.require(!parsed.seconds.isNaN, "written event has no time: \(text)")
            case .failure(let error):
                f.fail("written event does not parse (\(error.message)): \(text)")
            }
        }
    }
}
