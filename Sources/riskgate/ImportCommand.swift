import ArgumentParser
import Foundation
import RiskGateReplay

/// `riskgate import`: converters from public data sets to the JSONL event format.
struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Convert public login data sets to JSONL events.",
        subcommands: [RBACSVImportCommand.self]
    )
}

/// `riskgate import rba-csv FILE`: the RBA login data set (Wiefling et al.) → JSONL, streaming.
struct RBACSVImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rba-csv",
        abstract: "Convert the RBA login data set's CSV (16 columns) to JSONL events.",
        discussion: """
            Streams with bounded memory. Bad rows are reported on stderr with their line number \
            and skipped; the exit status is 1 when any row was bad, 2 on I/O errors.
            """
    )

    @Argument(help: "The CSV file (`-` for standard input).")
    var file: String

    @Option(name: .shortAndLong, help: "Where to write JSONL (default: standard output).")
    var output: String?

    @Option(help: "Bad rows printed individually before only counting them.")
    var maxReported = 1000

    func run() throws {
        let source: FileByteSource
        do {
            source = try FileByteSource(path: file)
        } catch {
            printError("error: \(error)")
            throw ExitCode(2)
        }
        defer { source.close() }
        let writer: EventWriter
        var outputFD: Int32 = -1
        if let output, output != "-" {
            outputFD = open(output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            guard outputFD >= 0 else {
                printError("error: cannot open `\(output)` for writing: \(String(cString: strerror(errno)))")
                throw ExitCode(2)
            }
            writer = EventWriter(sink: .fileDescriptor(outputFD))
        } else {
            writer = EventWriter(sink: .fileDescriptor(1))
        }
        defer { if outputFD >= 0 { close(outputFD) } }

        let started = DispatchTime.now().uptimeNanoseconds
        var reported = 0
        let limit = maxReported
        let summary: RBACSVImporter.Summary
        do {
            summary = try RBACSVImporter().run(source: source, writer: writer) { bad in
                reported += 1
                if reported <= limit {
                    printError("\(file):\(bad.line): \(bad.problem)")
                } else if reported == limit + 1 {
                    printError("\(file): more bad rows; only counting them from here")
                }
            }
        } catch {
            printError("error: \(error)")
            throw ExitCode(2)
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        let rows = summary.events + summary.badRows
        let rate = seconds > 0 ? Double(rows) / seconds : 0
        printError(
            "imported \(summary.events) events from \(rows) rows; \(summary.badRows) bad rows skipped "
                + "(\(String(format: "%.2f", seconds)) s, \(Int(rate)) rows/s)")
        if summary.badRows > 0 { throw ExitCode(1) }
    }
}

