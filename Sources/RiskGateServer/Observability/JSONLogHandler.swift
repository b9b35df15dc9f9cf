import Foundation
import Logging
import RiskGatePolicy

/// A swift-log handler writing one JSON object a line (`ts`, `level`, `label`, `msg`, then metadata),
/// for log shippers; the service puts no PII in metadata (see docs/http-api.md, "Logs").
///
/// Keys are sorted and the object is compact (`{"hb.request.id":"…","label":"…",…}`). The line is
/// written straight to bytes by the core's ``RiskGatePolicy/JSONWriter`` (no `JSONSerialization`, no
/// date formatter: they were most of a request's CPU with the access log on) and handed to a
/// ``LogLineWriter``, which writes it out off the request path.
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
        var line = JSONWriter(escapesSlashes: false, shortEscapes: Self.shortEscapes, capacity: 320)
        encode(event, into: &line)
        switch output {
        case .writer(let writer): line.withBytes { writer.write($0) }
        case .sink(let sink): sink(line.text)
        }
    }

    /// Log lines spell newline, carriage return and tab as `\n` `\r` `\t` and the other control
    /// characters, backspace and form feed included, as `\u00xx`.
    static let shortEscapes: JSONWriter.ShortEscapes = [.newline, .carriageReturn, .tab]

    /// The line for `event`, newline included.
    func encode(_ event: LogEvent, into out: inout JSONWriter) {
        // Every source in order of precedence, the four fixed fields last: after sorting by key
        // (ties in this order), the last entry of a key is the one written, as a merge of
        // dictionaries would have it (later metadata overrides, the fixed fields win).
        let provided = metadataProvider?.get()
        var entries: [(key: String, order: Int, value: Logger.Metadata.Value)] = []
        entries.reserveCapacity(4 + metadata.count + (provided?.count ?? 0) + (event.metadata?.count ?? 0))
        for (key, value) in metadata { entries.append((key, entries.count, value)) }
        if let provided { for (key, value) in provided { entries.append((key, entries.count, value)) } }
        if let extra = event.metadata { for (key, value) in extra { entries.append((key, entries.count, value)) } }
        entries.append(("label", entries.count, .string(label)))
        entries.append(("level", entries.count, .string(event.level.rawValue)))
        entries.append(("msg", entries.count, .string(event.message.description)))
        entries.append(("ts", entries.count, .string(Self.timestamp())))
        entries.sort { $0.key != $1.key ? $0.key < $1.key : $0.order < $1.order }
        // Commas by hand rather than `beginObject()`: metadata nests as deep as it likes and a log
        // line is never refused.
        out.byte(UInt8(ascii: "{"))
        var first = true
        for i in entries.indices where i + 1 == entries.count || entries[i + 1].key != entries[i].key {
            if !first { out.byte(UInt8(ascii: ",")) }
            first = false
            out.string(entries[i].key)
            out.byte(UInt8(ascii: ":"))
            Self.value(entries[i].value, into: &out)
        }
        out.raw("}\n")
    }

    private static func value(_ value: Logger.Metadata.Value, into out: inout JSONWriter) {
        switch value {
        case .string(let s): out.string(s)
        case .stringConvertible(let c): out.string(c.description)
        case .array(let a):
            out.byte(UInt8(ascii: "["))
            for (i, item) in a.enumerated() {
                if i > 0 { out.byte(UInt8(ascii: ",")) }
                Self.value(item, into: &out)
            }
            out.byte(UInt8(ascii: "]"))
        case .dictionary(let d):
            out.byte(UInt8(ascii: "{"))
            for (i, key) in d.keys.sorted().enumerated() {
                if i > 0 { out.byte(UInt8(ascii: ",")) }
                out.string(key)
                out.byte(UInt8(ascii: ":"))
                Self.value(d[key]!, into: &out)
            }
            out.byte(UInt8(ascii: "}"))
        }
    }

    /// `YYYY-MM-DDTHH:MM:SS.mmmZ`, always with milliseconds.
    static func timestamp() -> String {
        let text = Timestamp.format(Date())
        // `Timestamp.format` leaves out a zero fraction; log lines keep a fixed width.
        return text.utf8.count == 20 ? String(text.dropLast()) + ".000Z" : text
    }
}
