import RiskGatePolicy

/// Fills the signals a request carries by itself, without any stored state.
///
/// The full engine computes history, device and typing signals from the store; this filler is
/// what `PolicyTestRunner` uses by default (`riskgate test` passes the full engine,
/// `PolicyTestRunner.engine`) and what a stateless caller can use.
public enum RequestSignals {
    /// A `signals` override that cannot become the named signal's value.
    public struct OverrideError: Error, Sendable, Hashable, CustomStringConvertible {
        public var signal: String
        public var problem: String
        public var description: String { "signal `\(signal)`: \(problem)" }
    }

    /// Sets `channel`, `request.action`, `ip.address`, `ip.country` and `ip.asn` (from `geo`),
    /// `device.emulator` and `device.rooted`, then applies `request.signals` overrides by name.
    ///
    /// - Throws: ``OverrideError`` for an unknown signal name or a value of the wrong type.
    public static func fill(_ request: RequestContext, into signals: inout SignalValues) throws {
        if let channel = request.channel { signals[.channel] = .string(channel) }
        if let action = request.action { signals[.requestAction] = .string(action) }
        if let text = request.ip, let address = IPAddress(text) { signals[.ipAddress] = .ip(address.unmapped) }
        if let country = request.geo?.country { signals[.ipCountry] = .string(country) }
        if let asn = request.geo?.asn { signals[.ipASN] = .number(asn) }
        if let emulator = request.device?.emulator { signals[.deviceEmulator] = .bool(emulator) }
        if let rooted = request.device?.rooted { signals[.deviceRooted] = .bool(rooted) }
        for (name, json) in (request.signals ?? [:]).sorted(by: { $0.key < $1.key }) {
            guard let signal = name == "ip" ? .ipAddress : Signal(name: name) else {
                throw OverrideError(signal: name, problem: "no such signal" + (Suggestions.didYouMean(name, in: Signal.allNames).map { "; \($0)" } ?? ""))
            }
            signals[signal] = try value(json, for: signal)
        }
    }

    /// Converts a JSON override into the signal's type (`null` makes it unavailable).
    public static func value(_ json: JSONValue, for signal: Signal) throws -> Value {
        func fail(_ expected: String) -> OverrideError {
            OverrideError(signal: signal.name, problem: "expected \(expected)")
        }
        if case .null = json { return .unavailable }
        switch (signal.type, json) {
        case (.bool, .bool(let b)): return .bool(b)
        case (.number, .number(let v)): return .number(v)
        case (.speed, .number(let v)): return .speed(v)
        case (.distance, .number(let v)): return .distance(v)
        case (.duration, .number(let v)): return .duration(v)
        case (.duration, .string(let s)), (.speed, .string(let s)), (.distance, .string(let s)):
            var lexer = Lexer(s)
            let (tokens, problems) = lexer.tokenize()
            if problems.isEmpty, tokens.count == 2, case .quantity(let v, let type) = tokens[0].kind, type == signal.type {
                return Value.make(type, v)
            }
            throw fail("a \(signal.type) such as `\(signal.type == .duration ? "7d" : signal.type == .speed ? "900 km/h" : "50 km")`")
        case (.string, .string(let s)): return .string(s)
        case (.ip, .string(let s)):
            guard let address = IPAddress(s) else { throw fail("an IP address") }
            return .ip(address)
        default:
            throw fail("a \(signal.type)")
        }
    }
}
