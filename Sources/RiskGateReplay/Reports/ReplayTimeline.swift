import Foundation
import RiskGatePolicy

/// One period of the stream (a UTC day, or an hour when the stream spans under two days):
/// events and the two headline rates, for the candidate and the baseline.
public struct TimelinePoint: Sendable, Hashable, Codable {
    /// Start of the period, `YYYY-MM-DDTHH:MM:SSZ`.
    public var start: String
    public var events: Int
    /// Share of the period's legitimate events that got anything but `passive`; `nil` without any.
    public var legitFriction: Double?
    /// Share of the period's attack events that did not get `passive`; `nil` without any.
    public var attackStopRate: Double?
    /// The same two rates for the baseline policy, when one was given.
    public var baseline: Rates?

    /// The baseline's rates for one period.
    public struct Rates: Sendable, Hashable, Codable {
        public var legitFriction: Double?
        public var attackStopRate: Double?
        enum CodingKeys: String, CodingKey {
            case legitFriction = "legit_friction"
            case attackStopRate = "attack_stop_rate"
        }
        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(legitFriction, forKey: .legitFriction)
            try c.encode(attackStopRate, forKey: .attackStopRate)
        }
    }

    enum CodingKeys: String, CodingKey {
        case start, events, baseline
        case legitFriction = "legit_friction"
        case attackStopRate = "attack_stop_rate"
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(start, forKey: .start)
        try c.encode(events, forKey: .events)
        try c.encode(legitFriction, forKey: .legitFriction)
        try c.encode(attackStopRate, forKey: .attackStopRate)
        try c.encodeIfPresent(baseline, forKey: .baseline)
    }
}

/// Counts per period of event time, daily and (while the stream spans under two days) hourly.
///
/// Bounded: at most ``maxPeriods`` days are kept (later days of a stream that spans more are left
/// out of the timeline, never out of the totals), and hours only while the stream spans under two days.
package struct TimelineTally: Sendable {
    package static let maxPeriods = 10_000
    /// Per period: events, legit, legit non-passive, attack, attack non-passive, and the baseline's
    /// legit non-passive and attack non-passive.
    static let width = 7

    package var days: [Int64: [Int]] = [:]
    package var hours: [Int64: [Int]]? = [:]
    package var first = Double.infinity
    package var last = -Double.infinity

    package init() {}

    static let twoDays = 2 * 86_400.0

    package mutating func add(seconds: Double, row: LabelRow, candidate: Outcome, baseline: Outcome?) {
        guard seconds.isFinite else { return }
        first = min(first, seconds)
        last = max(last, seconds)
        var counts = [Int](repeating: 0, count: Self.width)
        counts[0] = 1
        if row == .legit {
            counts[1] = 1
            if candidate != .passive { counts[2] = 1 }
            if let baseline, baseline != .passive { counts[5] = 1 }
        } else if row == .attack {
            counts[3] = 1
            if candidate != .passive { counts[4] = 1 }
            if let baseline, baseline != .passive { counts[6] = 1 }
        }
        Self.add(counts, to: &days, key: Int64((seconds / 86_400).rounded(.down)))
        if last - first >= Self.twoDays {
            hours = nil
        } else if hours != nil {
            Self.add(counts, to: &hours!, key: Int64((seconds / 3_600).rounded(.down)))
        }
    }

    private static func add(_ counts: [Int], to table: inout [Int64: [Int]], key: Int64) {
        if table[key] == nil {
            guard table.count < maxPeriods else { return }
            table[key] = counts
            return
        }
        for i in 0..<width { table[key]![i] += counts[i] }
    }

    package mutating func merge(_ other: TimelineTally) {
        first = min(first, other.first)
        last = max(last, other.last)
        for (key, counts) in other.days { Self.add(counts, to: &days, key: key) }
        if last - first >= Self.twoDays || hours == nil || other.hours == nil {
            hours = nil
        } else {
            for (key, counts) in other.hours! { Self.add(counts, to: &hours!, key: key) }
        }
    }

    /// The periods in time order: hours when the stream spans under two days, else days.
    package func points(withBaseline: Bool) -> [TimelinePoint] {
        let (table, length): ([Int64: [Int]], Double) = if let hours, last - first < Self.twoDays { (hours, 3_600) } else { (days, 86_400) }
        return table.keys.sorted().map { key in
            let c = table[key]!
            return TimelinePoint(
                start: Timestamp.format(Date(timeIntervalSince1970: Double(key) * length)), events: c[0],
                legitFriction: DeciderTally.ratio(c[2], c[1]), attackStopRate: DeciderTally.ratio(c[4], c[3]),
                baseline: withBaseline ? .init(legitFriction: DeciderTally.ratio(c[5], c[1]), attackStopRate: DeciderTally.ratio(c[6], c[3])) : nil)
        }
    }
}
