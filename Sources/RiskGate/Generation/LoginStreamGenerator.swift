import Foundation

/// Writes a realistic, labelled, time-ordered login stream as JSONL (SPEC §4, §7).
///
/// Legitimate users log in on daily rhythms from home, phones and occasional trips; attackers run
/// credential stuffing from hosting networks, targeted attempts from the victim's country, session
/// hijacks on new devices and logins that imply impossible travel. See docs/datasets.md for the model.
///
/// Deterministic: one seeded random stream, drawn in event order. Streaming: memory is the users
/// plus a schedule with one entry per user and per attack in progress, whatever `events` is.
public struct LoginStreamGenerator {
    private let config: GeneratorConfiguration
    private var random: SeededRandom
    private var users: [SyntheticUser] = []
    private var schedule = Schedule()
    private var statistics = GeneratorStatistics()
    private var sequence: UInt64 = 0

    // Derived rates.
    private let countryCumulative: [Double]
    private let hourWeights: [Double]
    private let hourWeightMax: Double
    private let hourWeightMean: Double
    private var incidentChance = 0.0
    private var stuffing = StuffingState()

    private struct StuffingState {
        var burstMean = 10.0
        var burstGapMs = 3_600_000.0
        var remaining = 0
        var network = PoolNetwork(start: 0, prefix: 32, asn: 0)
        var address: UInt32 = 0
        var usesLeft = 0
        var agent = 0
        var style = 0
        var device: UInt64 = 0
    }

    /// Typical share of logins in each local hour (banking sessions: quiet nights, evening peak).
    private static let hours: [Double] = [
        0.30, 0.15, 0.08, 0.05, 0.05, 0.10, 0.35, 0.80, 1.10, 1.20, 1.15, 1.10,
        1.25, 1.15, 1.05, 1.00, 1.00, 1.10, 1.25, 1.40, 1.50, 1.35, 1.00, 0.60,
    ]

    private static let dayMs = 86_400_000.0

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

    private mutating func makeDevice(mobile: Bool) -> SyntheticDevice {
        let agents = mobile ? WorldData.mobileAgents.count : WorldData.desktopAgents.count
        return SyntheticDevice(
            id: random.next() & 0xFFFF_FFFF_FFFF, mobile: mobile, agent: UInt8(random.below(agents)),
            rooted: mobile && random.chance(0.02))
    }

    private mutating func makePhone(_ c: Int) -> UInt64 {
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

    private mutating func push(time: Int64, kind: Schedule.Kind, subject: Int, step: Int = 0, seed: UInt64 = 0) {
        sequence += 1
        schedule.push(Schedule.Entry(time: time, sequence: sequence, kind: kind, step: UInt8(min(step, 255)),
                                     subject: Int32(truncatingIfNeeded: subject), seed: seed))
    }

    /// Next login after `t`: a Poisson process thinned by the local hour (a daily rhythm).
    private mutating func nextLogin(of index: Int, after t: Int64) -> Int64 {
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

    // MARK: Legitimate logins

    private mutating func legitLogin(_ entry: Schedule.Entry, _ w: EventWriter) {
        let index = Int(entry.subject)
        let t = entry.time
        guard let (c, cityIndex) = users[index].location(at: t) else {
            // Nobody logs in mid-flight here: try again a little after landing.
            let landed = users[index].landing(after: t) + Int64(random.between(600_000, 7_200_000))
            push(time: landed, kind: .login, subject: index, step: Int(entry.step))
            return
        }
        let country = WorldData.countries[Int(c)]
        let city = country.cities[Int(cityIndex)]
        let retry = entry.step > 0
        let away = users[index].isAway(at: t)

        // A new phone or laptop now and then.
        var newDevice = false
        if !retry && random.chance(0.008) {
            let device = makeDevice(mobile: random.chance(0.6))
            let slot = random.below(3)
            if users[index].devices.count >= 3 { users[index].devices[slot] = device } else { users[index].devices.append(device) }
            users[index].devices.swapAt(0, users[index].devices.count - 1)
            newDevice = true
        }
        // The primary device most of the time (a new device becomes the primary one).
        let deviceIndex = newDevice || random.chance(0.6) ? 0 : random.below(users[index].devices.count)
        let device = users[index].devices[deviceIndex]

        let roll = random.unit()
        let channel: Channel = roll < 0.07 ? .voice : roll < 0.17 ? .chat : device.mobile && random.chance(0.65) ? .app : .web
        let failed = random.chance(retry ? 0.15 : 0.03)

        beginEvent(w, time: t)
        w.raw(",\"user\":\"u-")
        w.int(index + 1)
        w.raw("\"")
        writeChannel(w, channel, action: "login")
        if channel == .voice {
            let own = users[index].phone != 0 && random.chance(0.9)
            w.raw(",\"phone\":{\"ani\":\"+")
            w.int(Int(own ? users[index].phone : makePhone(Int(c))))
            w.raw("\"}")
        } else {
            if random.chance(0.01) {
                let network = config.networks.datacenter[random.below(config.networks.datacenter.count)]
                writeHosting(w, network, address: network.address(&random))
                statistics.vpnLogins += 1
            } else {
                let atHome = !away && !device.mobile && random.chance(0.92)
                let ispIndex = atHome ? Int(users[index].homeISP) : random.below(country.isps.count)
                let isp = country.isps[ispIndex]
                w.raw(",\"ip\":")
                w.ipv4(atHome ? users[index].homeIP : isp.address(&random))
                writeGeo(w, country: country.code, lat: city.lat, lon: city.lon,
                         accuracy: atHome ? 10 : device.mobile ? 50 : 20, asn: isp.asn)
            }
            writeDevice(w, device, app: channel == .app)
            if channel == .web || channel == .app {
                w.raw(",")
                users[index].typing.write(w, &random)
            }
            w.raw(failed ? ",\"result\":\"failure\"" : ",\"result\":\"success\"")
        }
        endEvent(w, attack: false, takeover: false)
        if away { statistics.travelLogins += 1 }
        if newDevice { statistics.newDeviceLogins += 1 }
        users[index].lastLogin = t

        if failed && channel != .voice && entry.step < 3 {
            push(time: t + Int64(random.between(8_000, 60_000)), kind: .login, subject: index, step: Int(entry.step) + 1)
        }
        if retry { return }

        // Sometimes a trip starts after this login.
        if !away && t >= users[index].trip.backHome && random.chance(0.01) { planTrip(index, after: t) }
        // Sometimes an attacker strikes this account soon after.
        if random.chance(incidentChance) { planIncident(index, after: t) }
        push(time: nextLogin(of: index, after: t), kind: .login, subject: index)
    }

    private mutating func planTrip(_ index: Int, after t: Int64) {
        var user = users[index]
        let home = WorldData.countries[Int(user.country)].cities[Int(user.city)]
        var destCountry = Int(user.country)
        if random.chance(0.65) { destCountry = random.weighted(countryCumulative) }
        let cities = WorldData.countries[destCountry].cities
        var destCity = random.below(cities.count)
        if destCountry == Int(user.country) && destCity == Int(user.city) { destCity = (destCity + 1) % cities.count }
        if destCountry == Int(user.country) && destCity == Int(user.city) { return }
        let dest = cities[destCity]
        let km = WorldData.distanceKm(home.lat, home.lon, dest.lat, dest.lon)
        // Airliner cruise ~800 km/h plus taxi and climb; never faster than that.
        let flightMs = Int64((km / 800 + 1.0) * 3_600_000)
        let departs = t + Int64(random.between(3_600_000, Self.dayMs))
        let arrives = departs + flightMs
        let returns = arrives + Int64(random.between(2, 12) * Self.dayMs)
        user.trip = .init(country: UInt8(destCountry), city: UInt8(destCity), departs: departs, arrives: arrives,
                          returns: returns, backHome: returns + flightMs)
        user.tripOffsetMinutes = dest.utcOffsetMinutes
        users[index] = user
    }

    // MARK: Attacks on one account

    private mutating func planIncident(_ index: Int, after t: Int64) {
        let roll = random.unit()
        let seed = random.next()
        if roll < 0.45 {
            push(time: t + Int64(random.between(3_600_000, 3 * Self.dayMs)), kind: .targeted, subject: index, seed: seed)
        } else if roll < 0.78 {
            push(time: t + Int64(random.between(120_000, 12 * 3_600_000)), kind: .hijack, subject: index, seed: seed)
        } else {
            push(time: t + Int64(random.between(300_000, 5_400_000)), kind: .impossibleTravel, subject: index, seed: seed)
        }
    }

    /// Someone who knows the victim tries their password from the victim's own country.
    private mutating func targetedAttempt(_ entry: Schedule.Entry, _ w: EventWriter) {
        let index = Int(entry.subject)
        let user = users[index]
        var incident = SeededRandom(seed: entry.seed)
        let attempts = 1 + incident.below(4)
        let succeeds = incident.chance(0.5)
        let voice = incident.chance(0.2)
        let spoofsANI = incident.chance(0.3)
        let cityIndex = incident.below(WorldData.countries[Int(user.country)].cities.count)
        let mobile = incident.chance(0.5)
        let device = SyntheticDevice(
            id: incident.next() & 0xFFFF_FFFF_FFFF, mobile: mobile,
            agent: UInt8(incident.below(mobile ? WorldData.mobileAgents.count : WorldData.desktopAgents.count)),
            rooted: false)
        let typing = TypingProfile.random(&incident)
        let country = WorldData.countries[Int(user.country)]
        let isp = country.isps[incident.below(country.isps.count)]
        let address = isp.address(&incident)
        let city = country.cities[cityIndex]

        let step = Int(entry.step)
        let last = step == attempts - 1
        let success = last && succeeds && !voice
        beginEvent(w, time: entry.time)
        w.raw(",\"user\":\"u-")
        w.int(index + 1)
        w.raw("\"")
        if voice {
            writeChannel(w, .voice, action: "password_reset")
            w.raw(",\"phone\":{\"ani\":\"+")
            w.int(Int(spoofsANI && user.phone != 0 ? user.phone : makePhone(Int(user.country))))
            w.raw("\"}")
        } else {
            let channel: Channel = mobile ? .app : .web
            writeChannel(w, channel, action: "login")
            w.raw(",\"ip\":")
            w.ipv4(address)
            writeGeo(w, country: country.code, lat: city.lat, lon: city.lon, accuracy: 20, asn: isp.asn)
            writeDevice(w, device, app: channel == .app)
            w.raw(",")
            typing.write(w, &random)
            w.raw(success ? ",\"result\":\"success\"" : ",\"result\":\"failure\"")
        }
        endEvent(w, attack: true, takeover: success)
        statistics.targeted += 1
        if !last {
            push(time: entry.time + Int64(random.between(20_000, 180_000)), kind: .targeted, subject: index,
                 step: step + 1, seed: entry.seed)
        }
    }

    /// A stolen session replayed from a new device: no password typed, straight in, then a change.
    private mutating func hijackAttempt(_ entry: Schedule.Entry, _ w: EventWriter) {
        let index = Int(entry.subject)
        let user = users[index]
        var incident = SeededRandom(seed: entry.seed)
        let viaVPN = incident.chance(0.5)
        let followUp = incident.chance(0.5)
        let followAction = incident.chance(0.5)
        let device = SyntheticDevice(
            id: incident.next() & 0xFFFF_FFFF_FFFF, mobile: false,
            agent: UInt8(incident.below(WorldData.desktopAgents.count)), rooted: false)
        let country = WorldData.countries[Int(user.country)]
        let dc = config.networks.datacenter[incident.below(config.networks.datacenter.count)]
        let isp = country.isps[incident.below(country.isps.count)]
        let address = viaVPN ? dc.address(&incident) : isp.address(&incident)
        let city = country.cities[incident.below(country.cities.count)]

        beginEvent(w, time: entry.time)
        w.raw(",\"user\":\"u-")
        w.int(index + 1)
        w.raw("\"")
        let action: StaticString = entry.step == 0 ? "login" : followAction ? "payment" : "profile_change"
        writeChannel(w, .web, action: action)
        if viaVPN {
            writeHosting(w, dc, address: address)
        } else {
            w.raw(",\"ip\":")
            w.ipv4(address)
            writeGeo(w, country: country.code, lat: city.lat, lon: city.lon, accuracy: 20, asn: isp.asn)
        }
        writeDevice(w, device, app: false)
        w.raw(",\"result\":\"success\"")
        endEvent(w, attack: true, takeover: true)
        statistics.hijack += 1
        if entry.step == 0 && followUp {
            push(time: entry.time + Int64(random.between(60_000, 600_000)), kind: .hijack, subject: index,
                 step: 1, seed: entry.seed)
        }
    }

    /// A phished password used from another continent minutes after the owner's own login.
    private mutating func impossibleTravelAttempt(_ entry: Schedule.Entry, _ w: EventWriter) {
        let index = Int(entry.subject)
        let user = users[index]
        var incident = SeededRandom(seed: entry.seed)
        let (hc, hcity) = user.location(at: entry.time) ?? (user.country, user.city)
        let here = WorldData.countries[Int(hc)].cities[Int(hcity)]
        // Somewhere more than 3,000 km away: a user country on another continent.
        var farCountry = Int(hc)
        var farCity = 0
        for _ in 0..<32 {
            let c = incident.below(WorldData.countries.count)
            let k = incident.below(WorldData.countries[c].cities.count)
            let there = WorldData.countries[c].cities[k]
            if WorldData.distanceKm(here.lat, here.lon, there.lat, there.lon) > 3000 {
                farCountry = c
                farCity = k
                break
            }
        }
        let succeeds = incident.chance(0.85)
        let followUp = incident.chance(0.3)
        let mobile = incident.chance(0.4)
        let device = SyntheticDevice(
            id: incident.next() & 0xFFFF_FFFF_FFFF, mobile: mobile,
            agent: UInt8(incident.below(mobile ? WorldData.mobileAgents.count : WorldData.desktopAgents.count)),
            rooted: false)
        let typing = TypingProfile.random(&incident)
        let country = WorldData.countries[farCountry]
        let city = country.cities[farCity]
        let isp = country.isps[incident.below(country.isps.count)]
        let address = isp.address(&incident)

        let success = entry.step > 0 || succeeds
        beginEvent(w, time: entry.time)
        w.raw(",\"user\":\"u-")
        w.int(index + 1)
        w.raw("\"")
        let channel: Channel = mobile ? .app : .web
        writeChannel(w, channel, action: entry.step == 0 ? "login" : "profile_change")
        w.raw(",\"ip\":")
        w.ipv4(address)
        writeGeo(w, country: country.code, lat: city.lat, lon: city.lon, accuracy: 20, asn: isp.asn)
        writeDevice(w, device, app: channel == .app)
        if entry.step == 0 {
            w.raw(",")
            typing.write(w, &random)
        }
        w.raw(success ? ",\"result\":\"success\"" : ",\"result\":\"failure\"")
        endEvent(w, attack: true, takeover: success)
        statistics.impossibleTravel += 1
        if entry.step == 0 && succeeds && followUp {
            push(time: entry.time + Int64(random.between(60_000, 900_000)), kind: .impossibleTravel, subject: index,
                 step: 1, seed: entry.seed)
        }
    }

    // MARK: Credential stuffing

    /// One attempt of a stuffing campaign: leaked username/password pairs tried from hosting networks.
    private mutating func stuffingAttempt(_ entry: Schedule.Entry, _ w: EventWriter) {
        if stuffing.remaining == 0 {
            // A new burst: tool, pacing and agent change between bursts.
            stuffing.remaining = 1 + Int(random.exponential(mean: stuffing.burstMean - 1))
            stuffing.agent = random.below(WorldData.botAgents.count)
            stuffing.style = random.below(10)
            stuffing.device = random.next() & 0xFFFF_FFFF_FFFF
            stuffing.usesLeft = 0
        }
        if stuffing.usesLeft == 0 {
            let roll = random.unit()
            if roll < 0.55 {
                stuffing.network = config.networks.datacenter[random.below(config.networks.datacenter.count)]
            } else if roll < 0.8 {
                stuffing.network = config.networks.tor[random.below(config.networks.tor.count)]
            } else {
                // Residential proxies: a home address somewhere in the world.
                let c = WorldData.countries[random.below(WorldData.countries.count)]
                stuffing.network = c.isps[random.below(c.isps.count)]
            }
            stuffing.address = stuffing.network.address(&random)
            stuffing.usesLeft = 1 + random.below(6)
        }
        stuffing.usesLeft -= 1
        stuffing.remaining -= 1

        let existing = random.chance(0.75)
        let target = existing ? random.below(users.count) + 1 : users.count + 1 + random.below(users.count * 3 + 100)
        let success = existing && random.chance(0.015)
        let app = random.chance(0.15)
        beginEvent(w, time: entry.time)
        w.raw(",\"user\":\"u-")
        w.int(target)
        w.raw("\"")
        writeChannel(w, app ? .app : .web, action: "login")
        if stuffing.network.site >= 0 {
            writeHosting(w, stuffing.network, address: stuffing.address)
        } else {
            w.raw(",\"ip\":")
            w.ipv4(stuffing.address)
            if let c = WorldData.countries.first(where: { $0.isps.contains(stuffing.network) }) {
                let city = c.cities[Int(stuffing.address % UInt32(c.cities.count))]
                writeGeo(w, country: c.code, lat: city.lat, lon: city.lon, accuracy: 50, asn: stuffing.network.asn)
            }
        }
        // Bots rotate fingerprints on most attempts.
        let deviceID = random.chance(0.7) ? random.next() & 0xFFFF_FFFF_FFFF : stuffing.device
        w.raw(",\"device\":{\"id\":\"d-")
        w.hex(deviceID, digits: 12)
        w.raw("\",\"user_agent\":\"")
        if app {
            w.raw(WorldData.appAgents[stuffing.agent % WorldData.appAgents.count])
            w.raw("\",\"emulator\":")
            w.bool(stuffing.style < 6)
            w.raw(",\"rooted\":")
            w.bool(stuffing.style < 3)
            w.raw("}")
        } else {
            w.raw(WorldData.botAgents[stuffing.agent])
            w.raw("\"}")
        }
        // Scripts post the form (no timings), replay a fixed rhythm, or replay someone's recording.
        if stuffing.style >= 4 {
            w.raw(",")
            if stuffing.style < 7 {
                TypingProfile.bot.write(w, &random, noise: 0.1)
            } else {
                users[random.below(users.count)].typing.write(w, &random)
            }
        }
        w.raw(success ? ",\"result\":\"success\"" : ",\"result\":\"failure\"")
        endEvent(w, attack: true, takeover: success)
        statistics.stuffing += 1

        let gap = stuffing.remaining > 0 ? random.exponential(mean: 4_000) : random.exponential(mean: stuffing.burstGapMs)
        push(time: entry.time + Int64(gap) + 1, kind: .stuffing, subject: 0)
    }

    // MARK: Writing

    private enum Channel { case web, app, chat, voice }

    private mutating func beginEvent(_ w: EventWriter, time: Int64) {
        statistics.events += 1
        w.raw("{\"id\":\"evt-")
        w.int(statistics.events)
        w.raw("\",\"time\":")
        w.timestamp(epochMilliseconds: time)
    }

    private func writeChannel(_ w: EventWriter, _ channel: Channel, action: StaticString) {
        switch channel {
        case .web: w.raw(",\"channel\":\"web\",\"action\":\"")
        case .app: w.raw(",\"channel\":\"app\",\"action\":\"")
        case .chat: w.raw(",\"channel\":\"chat\",\"action\":\"")
        case .voice: w.raw(",\"channel\":\"voice\",\"action\":\"")
        }
        w.raw(action)
        w.raw("\"")
    }

    private mutating func writeGeo(_ w: EventWriter, country: StaticString, lat: Double, lon: Double, accuracy: Double, asn: Int) {
        w.raw(",\"geo\":{\"country\":\"")
        w.raw(country)
        w.raw("\",\"lat\":")
        w.fixed(lat + 0.02 * random.quickGaussian(), decimals: 4)
        w.raw(",\"lon\":")
        w.fixed(lon + 0.02 * random.quickGaussian(), decimals: 4)
        w.raw(",\"accuracy_km\":")
        w.int(Int(accuracy))
        if asn > 0 {
            w.raw(",\"asn\":")
            w.int(asn)
        }
        w.raw("}")
    }

    private mutating func writeHosting(_ w: EventWriter, _ network: PoolNetwork, address: UInt32) {
        w.raw(",\"ip\":")
        w.ipv4(address)
        let site = WorldData.hostingSites[max(0, min(network.site, WorldData.hostingSites.count - 1))]
        writeGeo(w, country: site.country, lat: site.lat, lon: site.lon, accuracy: 100, asn: network.asn)
    }

    private func writeDevice(_ w: EventWriter, _ device: SyntheticDevice, app: Bool) {
        w.raw(",\"device\":{\"id\":\"d-")
        w.hex(device.id, digits: 12)
        w.raw("\",\"user_agent\":\"")
        if app {
            w.raw(WorldData.appAgents[Int(device.agent) % WorldData.appAgents.count])
            w.raw("\",\"emulator\":false,\"rooted\":")
            w.bool(device.rooted)
            w.raw("}")
        } else {
            w.raw(device.mobile ? WorldData.mobileAgents[Int(device.agent)] : WorldData.desktopAgents[Int(device.agent)])
            w.raw("\"}")
        }
    }

    private mutating func endEvent(_ w: EventWriter, attack: Bool, takeover: Bool) {
        w.raw(",\"label\":{\"attack\":")
        w.bool(attack)
        w.raw(",\"account_takeover\":")
        w.bool(takeover)
        w.raw("}}")
        if attack { statistics.attacks += 1 }
        if takeover { statistics.takeovers += 1 }
    }
}
