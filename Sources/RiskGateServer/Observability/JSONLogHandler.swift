import Foundation
import Logging
import RiskGate

/// A swift-log handler writing one JSON object a line (`ts`, `level`, `label`, `msg`, then metadata),
/// for log shippers; the service puts no PII in metadata (see docs/http-api.md, "Logs").
///
/// Keys are sorted and the object is compact (`{"hb.request.id":"…","label":"…",…}`). The line is
/// encoded straight to bytes (no `JSONSerialization`, no date formatter: they were most of a
/// request's CPU with the access log on) and handed to a ``LogLineWriter``, which writes it out
/// off the request path.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let output: Output

    private enum Output {
        case writer(LogLineWriter)
        case sink(@Sendable (String) -> Void)
    }

    /// A handler writing to standard error through one shared ``LogLineWriter`` per process.
    public init(label: String) {
        self.init(label: label, writer: Self.standardError)
    }

    /// A handler queueing its lines on `writer`.
    public init(label: String, writer: LogLineWriter) {
        self.label = label
        self.output = .writer(writer)
    }

    /// A handler passing each line (with its newline) to `sink`, synchronously.
    public init(label: String, sink: @escaping @Sendable (String) -> Void) {
        self.label = label
        self.output = .sink(sink)
    }

    /// The writer ``init(label:)`` uses: standard error, default buffer sizes.
    public static let standardError = LogLineWriter()

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var line: [UInt8] = []
        line.reserveCapacity(320)
        encode(event, into: &line)
        switch output {
        case .writer(let writer): writer.write(line)
        case .sink(let sink): sink(String(decoding: line, as: UTF8.self))
        }
    }

    /// The line for `event`, newline included.
    func encode(_ event: LogEvent, into out: inout [UInt8]) {
        // The four fixed fields win over metadata of the same name; later metadata sources
        // (provider, then the call's) override earlier ones, as a merge of dictionaries would.
        var entries: [(key: String, value: Logger.Metadata.Value)] = []
        entries.reserveCapacity(metadata.count + (event.metadata?.count ?? 0))
        func add(_ source: Logger.Metadata) {
            for (key, value) in source where !Self.fixedKeys.contains(key) {
                if let i = entries.firstIndex(where: { $0.key == key }) { entries[i].value = value } else { entries.append((key, value)) }
            }
        }
        add(metadata)
        if let provided = metadataProvider?.get() { add(provided) }
        if let extra = event.metadata { add(extra) }
        let message = event.message.description
        var fixed: [(key: String, value: Logger.Metadata.Value)] = [
            ("label", .string(label)), ("level", .string(event.level.rawValue)), ("msg", .string(message)),
            ("ts", .string(Self.timestamp())),
        ]
        fixed.append(contentsOf: entries)
        fixed.sort { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        out.append(UInt8(ascii: "{"))
        for (i, entry) in fixed.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            Self.string(entry.key, into: &out)
            out.append(UInt8(ascii: ":"))
            Self.value(entry.value, into: &out)
        }
        out.append(contentsOf: "}\n".utf8)
    }

    private static let fixedKeys: Set<String> = ["ts", "level", "label", "msg"]

    private static func value(_ value: Logger.Metadata.Value, into out: inout [UInt8]) {
        switch value {
        case .string(let s): string(s, into: &out)
        case .stringConvertible(let c): string(c.description, into: &out)
        case .array(let a):
            out.append(UInt8(ascii: "["))
            for (i, item) in a.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                Self.value(item, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .dictionary(let d):
            out.append(UInt8(ascii: "{"))
            for (i, key) in d.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }).enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                string(key, into: &out)
                out.append(UInt8(ascii: ":"))
                Self.value(d[key]!, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// A JSON string: quotes, backslashes and control characters escaped, everything else (UTF-8 included) as is.
    static func string(_ text: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [0x5C, 0x22])
            case UInt8(ascii: "\\"): out.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 15)]])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// `YYYY-MM-DDTHH:MM:SS.mmmZ`, always with milliseconds.
    static func timestamp() -> String {
        let text = Timestamp.format(Date())
        // `Timestamp.format` leaves out a zero fraction; log lines keep a fixed width.
        return text.utf8.count == 20 ? String(text.dropLast()) + ".000Z" : text
    }
}
