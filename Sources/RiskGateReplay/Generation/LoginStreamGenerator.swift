import Foundation
import RiskGateEngine

/// Writes a realistic, labelled, time-ordered login stream as JSONL (docs/http-api.md, §7).
///
/// Legitimate users log in on daily rhythms from home, phones and occasional trips; attackers run
/// credential stuffing from hosting networks, targeted attempts from the victim's country, session
/// hijacks on new devices and logins that imply impossible travel. See docs/datasets.md for the model.
///
/// Deterministic: one seeded random stream, drawn in event order. Streaming: memory is the users
/// plus a schedule with one entry per user and per attack in progress, whatever `events` is.
public struct LoginStreamGenerator {
    let config: GeneratorConfiguration
    var random: SeededRandom
    var users: [SyntheticUser] = []
    private var schedule = Schedule()
    var statistics = GeneratorStatistics()
    private var sequence: UInt64 = 0

    // Derived rates.
    let countryCumulative: [Double]
    private let hourWeights: [Double]
    private let hourWeightMax: Double
    private let hourWeightMean: Double
    private(set) var incidentChance = 0.0
    var stuffing = StuffingState()

    /// Typical share of logins in each local hour (banking sessions: quiet nights, evening peak).
    private static let hours: [Double] = [
        0.30, 0.15, 0.08, 0.05, 0.05, 0.10, 0.35, 0.80, 1.10, 1.20, 1.15, 1.10,
        1.25, 1.15, 1.05, 1.00, 1.00, 1.10, 1.25, 1.40, 1.50, 1.35, 1.00, 0.60,
    ]

    static let dayMs = 86_400_000.0

    /// Builds the user population (the only O(users) work) and the first schedule.
    public init(configuration: GeneratorConfiguration) {
        config = configuration
        random = SeededRandom(seed: configuration.seed)
        var cumulative: [Double] = []
        var sum = 0.0
        for c in WorldData.countries {
            sum += c.weight
            cumulative.append(sum)
        }
        countryCumulative = cumulative
        hourWeights = Self.hours
        hourWeightMax = Self.hours.max() ?? 1
        hourWeightMean = Self.hours.reduce(0, +) / Double(Self.hours.count)

        users.reserveCapacity(configuration.users)
        var totalRate = 0.0
        for _ in 0..<configuration.users {
            let user = makeUser()
            totalRate += user.rate
            users.append(user)
        }
        for index in users.indices {
            let t = nextLogin(of: index, after: configuration.startMilliseconds)
            push(time: t, kind: .login, subject: index)
        }

        // Attack budget: attacks are `share` of all events; stuffing carries 55% of them in bursts,
        // incidents against single accounts (about 1.9 events each) the rest.
        let share = configuration.attackShare
        let legitPerDay = totalRate * 1.035  // retries after typos
        let attacksPerDay = share / max(1e-9, 1 - share) * legitPerDay
        let stuffingPerDay = 0.55 * attacksPerDay
        if stuffingPerDay > 0 {
            stuffing.burstMean = min(400, max(3, stuffingPerDay / 6))
            stuffing.burstGapMs = stuffing.burstMean / stuffingPerDay * Self.dayMs
            let first = configuration.startMilliseconds + Int64(random.exponential(mean: stuffing.burstGapMs))
            push(time: first, kind: .stuffing, subject: 0)
        }
        incidentChance = 0.45 * attacksPerDay / max(1e-9, totalRate) / 1.9
    }

    /// Writes `events` lines to `writer` (flushing it at the end) and returns what was written.
    /// - Throws: ``EventWriter/WriteError`` when the output cannot be written.
    public mutating func write(to writer: EventWriter) throws -> GeneratorStatistics {
        while statistics.events < config.events {
            guard let entry = schedule.pop() else { break }
            let before = statistics.events
            switch entry.kind {
            case .login: legitLogin(entry, writer)
            case .stuffing: stuffingAttempt(entry, writer)
            case .targeted: targetedAttempt(entry, writer)
            case .hijack: hijackAttempt(entry, writer)
            case .impossibleTravel: impossibleTravelAttempt(entry, writer)
            }
            if statistics.events != before { try writer.endLine() }
        }
        try writer.flush()
        return statistics
    }

    // MARK: Population

    private mutating func makeUser() -> SyntheticUser {
        let c = random.weighted(countryCumulative)
        let country = WorldData.countries[c]
        let city = random.below(country.cities.count)
        let isp = random.below(country.isps.count)
        let homeIP = country.isps[isp].address(&random)
        var devices: [SyntheticDevice] = []
        let deviceCount = 1 + (random.chance(0.55) ? 1 : 0) + (random.chance(0.2) ? 1 : 0)
        for k in 0..<deviceCount {
            devices.append(makeDevice(mobile: k == 0 ? random.chance(0.6) : random.chance(0.5)))
        }
        let phone: UInt64 = random.chance(0.75) ? makePhone(c) : 0
        let rate = min(8, max(0.05, exp(-0.3 + 0.8 * random.gaussian())))
        let shift = Int(90 * random.gaussian())
        return SyntheticUser(
            country: UInt8(c), city: UInt8(city), homeIP: homeIP, homeISP: UInt8(isp), devices: devices,
            typing: .random(&random), phone: phone, rate: rate, shiftMinutes: shift,
            homeOffsetMinutes: country.cities[city].utcOffsetMinutes)
    }

    mutating func makeDevice(mobile: Bool) -> SyntheticDevice {
        let agents = mobile ? WorldData.mobileAgents.count : WorldData.desktopAgents.count
        return SyntheticDevice(
            id: random.next() & 0xFFFF_FFFF_FFFF, mobile: mobile, agent: UInt8(random.below(agents)),
            rooted: mobile && random.chance(0.02))
    }

    mutating func makePhone(_ c: Int) -> UInt64 {
        let country = WorldData.countries[c]
        var scale: UInt64 = 1
        for _ in 0..<country.mobileDigits { scale *= 10 }
        if country.mobilePrefix == 1 {
            // NANP: area code and exchange never start with 0 or 1.
            return 1 * scale + UInt64(2 + random.below(8)) * (scale / 10) + UInt64(random.below(Int(scale / 10)))
        }
        return country.mobilePrefix * scale + UInt64(random.below(Int(scale)))
    }

    // MARK: Schedule

    mutating func push(time: Int64, kind: Schedule.Kind, subject: Int, step: Int = 0, seed: UInt64 = 0) {
        sequence += 1
        schedule.push(Schedule.Entry(time: time, sequence: sequence, kind: kind, step: UInt8(min(step, 255)),
                                     subject: Int32(truncatingIfNeeded: subject), seed: seed))
    }

    /// Next login after `t`: a Poisson process thinned by the local hour (a daily rhythm).
    mutating func nextLogin(of index: Int, after t: Int64) -> Int64 {
        let peak = users[index].rate * hourWeightMax / hourWeightMean
        let meanGap = Self.dayMs / peak
        let shift = users[index].shiftMinutes
        let trip = users[index].trip
        var x = t
        for _ in 0..<10_000 {
            x += Int64(random.exponential(mean: meanGap)) + 1
            let abroad = trip.departs != 0 && x >= trip.arrives && x < trip.returns
            let offset = (abroad ? users[index].tripOffsetMinutes : users[index].homeOffsetMinutes) + shift
            var minute = (x / 60_000 + Int64(offset)) % 1440
            if minute < 0 { minute += 1440 }
            if random.unit() * hourWeightMax < hourWeights[Int(minute / 60)] { return x }
        }
        return x
    }
}
