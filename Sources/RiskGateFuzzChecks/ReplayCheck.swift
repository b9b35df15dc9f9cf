import Foundation
import RiskGateEngine
import RiskGatePolicy

/// One replay JSONL line, read as ``EventReader`` reads each line: the byte parser, then
/// ``RequestContext/validate()``.
///
/// A line is an error (with a message) or a request. An accepted request, written back with
/// the one JSON writer (as `RequestContext` encodes itself), must parse again, and writing that gives the
/// same bytes: what the service and the tools write, replay reads.
enum ReplayCheck {
    static func run(_ bytes: UnsafeRawBufferPointer, _ f: inout Findings) {
        var parsed: (context: RequestContext, seconds: Double)
        do {
            parsed = try EventLineParser.parse(bytes)
        } catch {
            f.require(isMessage(error.message), "parse error message is empty: \(error.message.debugDescription)")
            f.require(error.column >= 0 && error.column <= bytes.count + 1, "error column \(error.column) outside a \(bytes.count)-byte line")
            return
        }
        do { try parsed.context.validate() } catch {
            f.require(isMessage(error.message), "validation message is empty: \(error.message.debugDescription)")
            return
        }
        f.require(parsed.seconds.isNaN == (parsed.context.time == nil), "`time` and its seconds disagree")
        guard let first = try? JSONWriter.encode(parsed.context) else {
            f.fail("an accepted request cannot be encoded")
            return
        }
        switch parse(first) {
        case .success(let again):
            let second = try? JSONWriter.encode(again.context)
            f.require(second == first, "re-encoded request differs: \(String(decoding: first, as: UTF8.self)) then \(second.map { String(decoding: $0, as: UTF8.self) } ?? "nil")")
        case .failure(let error):
            f.fail("the parser refuses the encoding of a request it accepted: \(error.message) in \(String(decoding: first, as: UTF8.self))")
        }
    }

    /// ``EventLineParser/parse(_:maxDepth:)`` on bytes held in a collection.
    static func parse(_ bytes: some ContiguousBytes) -> Result<(context: RequestContext, seconds: Double), JSONScanner.Failure> {
        bytes.withUnsafeBytes { raw in
            do throws(JSONScanner.Failure) { return .success(try EventLineParser.parse(raw)) } catch { return .failure(error) }
        }
    }
}
