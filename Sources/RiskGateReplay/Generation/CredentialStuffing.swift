/// Credential stuffing: bursts of leaked username/password pairs tried from hosting networks,
/// Tor and residential proxies.
extension LoginStreamGenerator {
    struct StuffingState {
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

    /// One attempt of a stuffing campaign: leaked username/password pairs tried from hosting networks.
    mutating func stuffingAttempt(_ entry: Schedule.Entry, _ w: EventWriter) {
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
}
