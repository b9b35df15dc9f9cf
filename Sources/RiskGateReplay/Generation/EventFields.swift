/// The JSON fields of one generated event, written straight to the ``EventWriter``.
extension LoginStreamGenerator {
    enum Channel { case web, app, chat, voice }

    mutating func beginEvent(_ w: EventWriter, time: Int64) {
        statistics.events += 1
        w.raw("{\"id\":\"evt-")
        w.int(statistics.events)
        w.raw("\",\"time\":")
        w.timestamp(epochMilliseconds: time)
    }

    func writeChannel(_ w: EventWriter, _ channel: Channel, action: StaticString) {
        switch channel {
        case .web: w.raw(",\"channel\":\"web\",\"action\":\"")
        case .app: w.raw(",\"channel\":\"app\",\"action\":\"")
        case .chat: w.raw(",\"channel\":\"chat\",\"action\":\"")
        case .voice: w.raw(",\"channel\":\"voice\",\"action\":\"")
        }
        w.raw(action)
        w.raw("\"")
    }

    mutating func writeGeo(_ w: EventWriter, country: StaticString, lat: Double, lon: Double, accuracy: Double, asn: Int) {
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

    mutating func writeHosting(_ w: EventWriter, _ network: PoolNetwork, address: UInt32) {
        w.raw(",\"ip\":")
        w.ipv4(address)
        let site = WorldData.hostingSites[max(0, min(network.site, WorldData.hostingSites.count - 1))]
        writeGeo(w, country: site.country, lat: site.lat, lon: site.lon, accuracy: 100, asn: network.asn)
    }

    func writeDevice(_ w: EventWriter, _ device: SyntheticDevice, app: Bool) {
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

    mutating func endEvent(_ w: EventWriter, attack: Bool, takeover: Bool) {
        w.raw(",\"label\":{\"attack\":")
        w.bool(attack)
        w.raw(",\"account_takeover\":")
        w.bool(takeover)
        w.raw("}}")
        if attack { statistics.attacks += 1 }
        if takeover { statistics.takeovers += 1 }
    }
}
