import RiskGateEngine

/// Incidents against one account: targeted password guessing, session hijacks and
/// impossible travel, each planned after one of the owner's logins.
extension LoginStreamGenerator {
    mutating func planIncident(_ index: Int, after t: Int64) {
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
    mutating func targetedAttempt(_ entry: Schedule.Entry, _ w: EventWriter) {
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
    mutating func hijackAttempt(_ entry: Schedule.Entry, _ w: EventWriter) {
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
    mutating func impossibleTravelAttempt(_ entry: Schedule.Entry, _ w: EventWriter) {
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
}
