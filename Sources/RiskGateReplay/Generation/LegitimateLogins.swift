/// Customers' own logins: daily rhythms, retries after typos, new devices and trips abroad.
extension LoginStreamGenerator {
    mutating func legitLogin(_ entry: Schedule.Entry, _ w: EventWriter) {
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
}
