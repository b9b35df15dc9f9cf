import RiskGatePolicy

extension SignalComputer {
    /// Applies caller-supplied values (`request.signals`) over computed ones.
    ///
    /// JSON booleans, numbers and strings convert to the signal's type: numbers are seconds for
    /// durations, km/h for speeds, km for distances; an `ip` signal takes an address string;
    /// `null` makes the signal unavailable. Anything else is ignored and reported.
    static func applyOverrides(_ overrides: [String: JSONValue], into signals: inout SignalValues) -> [SignalOverrideProblem] {
        var problems: [SignalOverrideProblem] = []
        for (name, json) in overrides {
            switch override(name, json) {
            case .success(let (signal, value)): signals[signal] = value
            case .failure(let problem): problems.append(problem)
            }
        }
        return problems.sorted { $0.name < $1.name }
    }

    /// The signal `name` names and the value `json` gives it, or why it cannot be supplied: an
    /// unknown name, a signal the engine computes, or a value of the wrong type. The message
    /// never repeats the value (it may be personal data).
    static func override(_ name: String, _ json: JSONValue) -> Result<(Signal, Value), SignalOverrideProblem> {
        guard let signal = Signal(name: name) else {
            return .failure(SignalOverrideProblem(name: name, message: "unknown signal `\(name.prefix(64))`"))
        }
        guard !engineSignals.contains(signal) else {
            return .failure(SignalOverrideProblem(name: name, message: "`\(name)` is computed by the engine and cannot be supplied"))
        }
        switch convert(json, to: signal.type) {
        case .success(let value): return .success((signal, value))
        case .failure(let problem): return .failure(SignalOverrideProblem(name: name, message: problem.message))
        }
    }

    struct ConversionProblem: Error { var message: String }

    static func convert(_ json: JSONValue, to type: ValueType) -> Result<Value, ConversionProblem> {
        if case .null = json { return .success(.unavailable) }
        switch (type, json) {
        case (.bool, .bool(let b)): return .success(.bool(b))
        case (.string, .string(let s)): return .success(.string(s))
        case (.ip, .string(let s)):
            guard let ip = IPAddress(s) else { return .failure(ConversionProblem(message: "expected an IP address")) }
            return .success(.ip(ip))
        case (.number, .number(let n)):
            guard n.isFinite else { return .failure(ConversionProblem(message: "expected a finite number")) }
            return .success(.number(n))
        case (.duration, .number(let n)), (.speed, .number(let n)), (.distance, .number(let n)):
            guard n.isFinite, n >= 0 else { return .failure(ConversionProblem(message: "expected a finite, non-negative \(type) in \(unit(type))")) }
            switch type {
            case .duration: return .success(.duration(n))
            case .speed: return .success(.speed(n))
            default: return .success(.distance(n))
            }
        default:
            let expected = type == .duration || type == .speed || type == .distance ? "a number of \(unit(type))" : "a \(type == .ip ? "string holding an IP address" : type.rawValue)"
            return .failure(ConversionProblem(message: "expected \(expected), got \(kind(json))"))
        }
    }

    private static func unit(_ type: ValueType) -> String {
        switch type {
        case .duration: "seconds"
        case .speed: "km/h"
        case .distance: "km"
        default: type.rawValue
        }
    }

    private static func kind(_ json: JSONValue) -> String {
        switch json {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}
