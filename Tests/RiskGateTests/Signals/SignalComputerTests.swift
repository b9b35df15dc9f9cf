import Foundation
import Testing
@testable import RiskGateEngine
@testable import RiskGatePolicy

@Suite struct SignalComputerTests {
    let start = Timestamp.parse("2026-11-20T10:00:00Z")!

    private func request(_ user: String = "u-1", ip: String? = nil, geo: RequestContext.Geo? = nil, device: String? = nil) -> RequestContext {
        var r = RequestContext(user: user)
        r.channel = "web"
        r.action = "login"
        r.ip = ip
        r.geo = geo
        if let device { r.device = RequestContext.Device(id: device, userAgent: "UA") }
        return r
    }

    /// Computes signals and, like the engine after an accepted login, records the request.
    private func accept(_ r: RequestContext, at time: Date, computer: SignalComputer, state: inout UserState) -> SignalValues {
        var signals = SignalValues()
        let result = computer.compute(r, state: state, now: time, into: &signals)
        HistoryRecorder.recordAcceptedLogin(r, location: result.location, settings: computer.settings, now: time, into: &state)
        return signals
    }

    private let berlin = RequestContext.Geo(country: "DE", lat: 52.52, lon: 13.405, accuracyKm: 20)
    private let sydney = RequestContext.Geo(country: "AU", lat: -33.8688, lon: 151.2093, accuracyKm: 20)

    @Test func berlinThenSydneyAnHourLaterIsImpossibleTravel() {
        let computer = SignalComputer(settings: PolicySettings(), environment: SignalEnvironment())
        var state = UserState()
        state.profile.homeCountry = "DE"
        let first = accept(request(ip: "203.0.113.7", geo: berlin), at: start, computer: computer, state: &state)
        #expect(first[.geoDistanceKm] == .unavailable)  // nothing to travel from yet
        #expect(first[.geoImpossibleTravel] == .unavailable)
        #expect(first[.geoCountryMismatch] == .bool(false))

        var signals = SignalValues()
        computer.compute(request(ip: "198.51.100.9", geo: sydney), state: state, now: start + 3600, into: &signals)
        let distance = signals[.geoDistanceKm].magnitude ?? 0
        #expect(abs(distance - 16_090) < 60)  // Berlin–Sydney great circle is about 16,090 km
        #expect(abs((signals[.geoVelocityKmh].magnitude ?? 0) - (distance - 40)) < 1)
        #expect(signals[.geoImpossibleTravel] == .bool(true))
        #expect(signals[.geoCountryMismatch] == .bool(true))
        #expect(signals[.geoNewCountry] == .bool(true))
        #expect(signals[.ipCountry] == .string("AU"))
        #expect(signals[.ipKnown] == .bool(false))
        #expect(signals[.historyLogins] == .number(1))
    }

    /// `history.logins` counts logins only: an accepted payment counted as one before. The payment
    /// still makes its IP known and its country seen; a request without `action` is a login.
    @Test func historyLoginsCountsLoginsNotOtherActions() throws {
        let computer = SignalComputer(settings: PolicySettings(), environment: SignalEnvironment())
        var state = UserState()
        _ = accept(request(ip: "203.0.113.7", geo: berlin), at: start, computer: computer, state: &state)
        var payment = request(ip: "198.51.100.9", geo: berlin)
        payment.action = "payment"
        _ = accept(payment, at: start + 60, computer: computer, state: &state)
        var noAction = request(ip: "203.0.113.7", geo: berlin)
        noAction.action = nil
        _ = accept(noAction, at: start + 120, computer: computer, state: &state)
        let next = accept(request(ip: "198.51.100.9", geo: berlin), at: start + 180, computer: computer, state: &state)
        #expect(next[.historyLogins] == .number(2))
        #expect(next[.ipKnown] == .bool(true))  // seen on the payment
        // The flag survives the state codec.
        let decoded = try UserStateCodec.decode(UserStateCodec.encode(state))
        #expect(decoded.logins.map(\.isLogin) == [true, false, true, true])
        #expect(decoded == state)
    }

    @Test func nearbyLoginIsPlausibleAndRadiiAreSubtracted() {
        let computer = SignalComputer(settings: PolicySettings(), environment: SignalEnvironment())
        var state = UserState()
        _ = accept(request(geo: berlin), at: start, computer: computer, state: &state)
        var signals = SignalValues()
        // Potsdam, about 27 km away, ten minutes later: 162 km/h raw, but within the 20 + 10 km radii.
        computer.compute(request(geo: .init(country: "DE", lat: 52.3906, lon: 13.0645, accuracyKm: 10)), state: state, now: start + 600, into: &signals)
        #expect(abs((signals[.geoDistanceKm].magnitude ?? 0) - 27) < 2)
        #expect(signals[.geoVelocityKmh] == .speed(0))
        #expect(signals[.geoImpossibleTravel] == .bool(false))
        #expect(signals[.geoNewCountry] == .bool(false))
    }

    @Test(.enabled(if: SignalsTestData.torAvailable, "../shared/datasets/ip/tor-exit-nodes.txt is absent"))
    func torExitIsAnonymousAndDoesNotRaiseTravelAlone() throws {
        let text = try String(contentsOf: SignalsTestData.datasets.appendingPathComponent("ip/tor-exit-nodes.txt"), encoding: .utf8)
        let tor = IPListFile.parse(text)
        #expect(tor.networks > 1000)
        let exit = try #require(text.split(separator: "\n").first { !$0.hasPrefix("#") && !$0.isEmpty }.map(String.init))
        let computer = SignalComputer(settings: PolicySettings(), environment: SignalEnvironment(anonymousLists: [tor.set]))
        var state = UserState()
        _ = accept(request(ip: "192.0.2.1", geo: berlin), at: start, computer: computer, state: &state)
        #expect(state.logins.last?.anonymous == false)

        var signals = SignalValues()
        let result = computer.compute(request(ip: exit, geo: sydney), state: state, now: start + 3600, into: &signals)
        #expect(signals[.ipAnonymous] == .bool(true))
        #expect(result.location.anonymous == true)
        #expect((signals[.geoVelocityKmh].magnitude ?? 0) > 10_000)
        #expect(signals[.geoImpossibleTravel] == .bool(false))

        // The anonymous login, once accepted, does not anchor the next travel check.
        HistoryRecorder.recordAcceptedLogin(request(ip: exit, geo: sydney), location: result.location, settings: computer.settings,
                                            now: start + 3600, into: &state)
        computer.compute(request(ip: "192.0.2.1", geo: berlin), state: state, now: start + 7200, into: &signals)
        #expect(signals[.ipAnonymous] == .bool(false))
        #expect(signals[.geoImpossibleTravel] == .bool(false))
        #expect((signals[.geoDistanceKm].magnitude ?? 1) < 1)
    }

    @Test(.enabled(if: SignalsTestData.available, "../shared/datasets/geo/maxmind-test is absent"))
    func databasesFillLocationAndRequestGeoWins() throws {
        let geo = GeoDatabase(city: try SignalsTestData.mmdb("GeoIP2-City-Test.mmdb"), asn: try SignalsTestData.mmdb("GeoLite2-ASN-Test.mmdb"),
                              anonymous: try SignalsTestData.mmdb("GeoIP2-Anonymous-IP-Test.mmdb"))
        let computer = SignalComputer(settings: PolicySettings(), environment: SignalEnvironment(geo: geo))
        var signals = SignalValues()
        var result = computer.compute(request(ip: "81.2.69.142"), state: nil, now: start, into: &signals)
        #expect(signals[.ipCountry] == .string("GB"))
        #expect(result.location.latitude == 51.5142 && result.location.accuracyKm == 10)
        #expect(signals[.ipAnonymous] == .bool(true))  // 81.2.69.0/24 is in the anonymous test data
        #expect(signals[.ipASN] == .unavailable)       // not in the ASN test data

        result = computer.compute(request(ip: "1.128.0.1"), state: nil, now: start, into: &signals)
        #expect(signals[.ipASN] == .number(1221))
        #expect(signals[.ipAnonymous] == .bool(false))

        // Request geo overrides the database field by field.
        result = computer.compute(request(ip: "81.2.69.142", geo: .init(country: "de")), state: nil, now: start, into: &signals)
        #expect(signals[.ipCountry] == .string("DE"))
        #expect(result.location.latitude == 51.5142)  // coordinates not supplied: still from the database
        result = computer.compute(request(ip: "81.2.69.142", geo: .init(lat: 48.1, lon: 11.6)), state: nil, now: start, into: &signals)
        #expect(result.location.latitude == 48.1 && result.location.accuracyKm == nil)
        #expect(signals[.ipCountry] == .string("GB"))
    }

    @Test func newDeviceThenKnownDevice() {
        let computer = SignalComputer(settings: PolicySettings(), environment: SignalEnvironment())
        var state = UserState()
        state.profile.trustedDevices = ["d-trusted"]
        let first = accept(request(device: "d-9f2"), at: start, computer: computer, state: &state)
        #expect(first[.deviceNew] == .bool(true))
        #expect(first[.deviceKnown] == .bool(false))
        #expect(first[.deviceAge] == .duration(0))
        #expect(first[.deviceTrusted] == .bool(false))
        let second = accept(request(device: "d-9f2"), at: start + 86_400, computer: computer, state: &state)
        #expect(second[.deviceNew] == .bool(false))
        #expect(second[.deviceKnown] == .bool(true))
        #expect(second[.deviceAge] == .duration(86_400))
        #expect(state.devices == [DeviceRecord(id: "d-9f2", firstSeen: start, lastSeen: start + 86_400, count: 2)])
        let other = accept(request(device: "d-trusted"), at: start + 90_000, computer: computer, state: &state)
        #expect(other[.deviceNew] == .bool(true))
        #expect(other[.deviceTrusted] == .bool(true))
    }

    @Test func deviceListIsCappedDroppingLeastRecentlySeen() {
        var state = UserState()
        for i in 0..<(HistoryRecorder.maxDevices + 5) {
            HistoryRecorder.recordAcceptedLogin(request(device: "d-\(i)"), location: ResolvedLocation(), settings: PolicySettings(),
                                                now: start + Double(i), into: &state)
        }
        #expect(state.devices.count == HistoryRecorder.maxDevices)
        #expect(!state.devices.contains { $0.id == "d-0" })
        #expect(state.devices.contains { $0.id == "d-\(HistoryRecorder.maxDevices + 4)" })
    }

    @Test func historyIsPrunedToWindowAndCount() {
        var settings = PolicySettings()
        settings.historyMaxLogins = 5
        settings.historyWindow = 10 * 86_400
        var state = UserState()
        for day in 0..<20 {
            HistoryRecorder.recordAcceptedLogin(request(ip: "203.0.113.\(day)"), location: ResolvedLocation(ip: IPAddress("203.0.113.\(day)")),
                                                settings: settings, now: start + Double(day) * 86_400, into: &state)
        }
        #expect(state.logins.count == 5)
        #expect(state.logins.map(\.time) == (15..<20).map { start + Double($0) * 86_400 })
        // An out-of-order event is inserted in place.
        HistoryRecorder.recordAcceptedLogin(request(), location: ResolvedLocation(), settings: settings, now: start + 18.5 * 86_400, into: &state)
        #expect(state.logins.map(\.time) == state.logins.map(\.time).sorted())
    }

    @Test func ipKnownMatchesTheSameNeighbourhoodWithinTheWindow() {
        let computer = SignalComputer(settings: PolicySettings(), environment: SignalEnvironment())
        var state = UserState()
        _ = accept(request(ip: "203.0.113.7"), at: start, computer: computer, state: &state)
        _ = accept(request(ip: "2001:db8:1:2::1"), at: start, computer: computer, state: &state)
        var signals = SignalValues()
        for (ip, known) in [("203.0.113.200", true), ("203.0.114.7", false), ("2001:db8:1:ffff::9", true), ("2001:db8:2::1", false)] {
            computer.compute(request(ip: ip), state: state, now: start + 60, into: &signals)
            #expect(signals[.ipKnown] == .bool(known), "\(ip)")
        }
        // Outside the 90-day window the IP is forgotten.
        computer.compute(request(ip: "203.0.113.7"), state: state, now: start + 91 * 86_400, into: &signals)
        #expect(signals[.ipKnown] == .bool(false))
        #expect(signals[.historyLogins] == .number(0))
    }

    @Test func accountSignalsComeFromState() {
        var settings = PolicySettings()
        settings.lockoutWindow = 900
        let computer = SignalComputer(settings: settings, environment: SignalEnvironment())
        var state = UserState()
        state.profile.known = true
        state.profile.phone = "+49 151 1234-5678"
        state.profile.createdAt = start - 86_400
        state.failures = [start - 2000, start - 600, start - 10]
        state.lockedUntil = start + 60
        state.lockouts = 2
        var signals = SignalValues()
        var r = request()
        r.phone = RequestContext.Phone(ani: "004915112345678")
        computer.compute(r, state: state, now: start, into: &signals)
        #expect(signals[.accountKnown] == .bool(true))
        #expect(signals[.accountHasPhone] == .bool(true))
        #expect(signals[.accountAge] == .duration(86_400))
        #expect(signals[.accountFailures] == .number(2))
        #expect(signals[.accountLocked] == .bool(true))
        #expect(signals[.accountBanned] == .bool(false))
        #expect(signals[.accountLockouts] == .number(2))
        #expect(signals[.phoneAniMatch] == .bool(true))
        #expect(signals[.channel] == .string("web"))
        #expect(signals[.requestAction] == .string("login"))

        r.phone = RequestContext.Phone(ani: "+15551234567")
        computer.compute(r, state: state, now: start + 120, into: &signals)
        #expect(signals[.phoneAniMatch] == .bool(false))
        #expect(signals[.accountLocked] == .bool(false))

        // An unknown user: an empty history, not an error.
        computer.compute(r, state: nil, now: start, into: &signals)
        #expect(signals[.accountKnown] == .bool(false))
        #expect(signals[.accountHasPhone] == .bool(false))
        #expect(signals[.phoneAniMatch] == .unavailable)
        #expect(signals[.accountAge] == .unavailable)
        #expect(signals[.historyLogins] == .number(0))
    }

    @Test func typingSignalsUseTheTemplates() {
        let computer = SignalComputer(settings: PolicySettings(), environment: SignalEnvironment())
        var state = UserState()
        let keys = (0..<8).map { RequestContext.Typing.Key(down: Double($0) * 180, up: Double($0) * 180 + 95) }
        var r = request()
        r.typing = RequestContext.Typing(field: "password", keys: keys)
        var signals = SignalValues()
        computer.compute(r, state: state, now: start, into: &signals)
        #expect(signals[.typingPresent] == .bool(true))
        #expect(signals[.typingEnrolled] == .bool(false))
        #expect(signals[.typingAnomaly] == .unavailable)
        for i in 0..<12 { _ = accept(r, at: start + Double(i), computer: computer, state: &state) }
        computer.compute(r, state: state, now: start + 100, into: &signals)
        #expect(signals[.typingEnrolled] == .bool(true))
        #expect((signals[.typingAnomaly].magnitude ?? 1) < 0.1)
    }

    @Test func badInputGivesUnavailableSignals() {
        let computer = SignalComputer(settings: PolicySettings(), environment: SignalEnvironment(anonymousLists: [IPListFile.parse("192.0.2.0/24").set]))
        var state = UserState()
        state.profile.homeCountry = "DE"
        _ = accept(request(ip: "203.0.113.7", geo: berlin, device: "d-1"), at: start, computer: computer, state: &state)
        var signals = SignalValues()

        computer.compute(request(ip: "999.1.2.3", geo: .init(country: "Germany", lat: 500, lon: 13)), state: state, now: start + 60, into: &signals)
        for signal in [Signal.ipAddress, .ipKnown, .ipAnonymous, .ipCountry, .geoCountryMismatch, .geoNewCountry,
                       .geoDistanceKm, .geoVelocityKmh, .geoImpossibleTravel] {
            #expect(signals[signal] == .unavailable, "\(signal)")
        }

        computer.compute(request(geo: .init(lat: .nan, lon: 13, accuracyKm: -5, asn: -1)), state: state, now: start + 60, into: &signals)
        #expect(signals[.geoDistanceKm] == .unavailable)
        #expect(signals[.ipASN] == .unavailable)

        // A request timed before the previous login: distance is known, speed is not.
        computer.compute(request(geo: sydney), state: state, now: start - 3600, into: &signals)
        #expect(signals[.geoVelocityKmh] == .unavailable)
        #expect(signals[.geoImpossibleTravel] == .unavailable)

        // Missing everything but the user.
        computer.compute(RequestContext(user: "u-1"), state: state, now: start + 60, into: &signals)
        for signal in [Signal.channel, .requestAction, .ipAddress, .ipCountry, .deviceKnown, .deviceNew, .deviceAge,
                       .deviceEmulator, .deviceRooted, .typingAnomaly, .phoneAniMatch] {
            #expect(signals[signal] == .unavailable, "\(signal)")
        }
        #expect(signals[.typingPresent] == .bool(false))

        // Typing timings out of order or negative: not a usable sample.
        var r = request()
        r.typing = RequestContext.Typing(field: "password", keys: [.init(down: 100, up: 50), .init(down: -3, up: 10)])
        computer.compute(r, state: state, now: start + 60, into: &signals)
        #expect(signals[.typingPresent] == .bool(false))

        // An absurd device id.
        computer.compute(request(device: String(repeating: "x", count: 5000)), state: state, now: start + 60, into: &signals)
        #expect(signals[.deviceNew] == .unavailable)
    }

    @Test func overridesConvertAndReportProblems() {
        let computer = SignalComputer(settings: PolicySettings(), environment: SignalEnvironment())
        var r = request(device: "d-1")
        r.signals = [
            "device.emulator": .bool(true), "geo.velocity_kmh": .number(1200), "device.age": .number(3600),
            "ip.address": .string("10.0.0.1"), "ip.country": .string("FR"), "device.new": .null,
            "device.rooted": .string("yes"), "score": .number(99), "geo.no_such": .bool(true),
            "account.failures": .number(.infinity), "geo.distance_km": .number(-4), "ip.asn": .array([]),
        ]
        var signals = SignalValues()
        let result = computer.compute(r, state: nil, now: start, into: &signals)
        #expect(signals[.deviceEmulator] == .bool(true))
        #expect(signals[.geoVelocityKmh] == .speed(1200))
        #expect(signals[.deviceAge] == .duration(3600))
        #expect(signals[.ipAddress] == .ip(IPAddress("10.0.0.1")!))
        #expect(signals[.ipCountry] == .string("FR"))
        #expect(signals[.deviceNew] == .unavailable)
        #expect(signals[.deviceRooted] == .unavailable)
        #expect(result.overrideProblems.map(\.name) == ["account.failures", "device.rooted", "geo.distance_km", "geo.no_such", "ip.asn", "score"])
        #expect(result.overrideProblems.first { $0.name == "device.rooted" }?.message == "expected a bool, got a string")
    }

    @Test func haversineMatchesKnownDistances() {
        let london = GeoPoint(latitude: 51.5074, longitude: -0.1278)!
        let paris = GeoPoint(latitude: 48.8566, longitude: 2.3522)!
        #expect(abs(GeoMath.distanceKm(london, paris) - 343.5) < 2)
        let north = GeoPoint(latitude: 90, longitude: 0)!, south = GeoPoint(latitude: -90, longitude: 0)!
        #expect(abs(GeoMath.distanceKm(north, south) - GeoMath.halfCircumferenceKm) < 0.001)
        #expect(GeoPoint(latitude: 91, longitude: 0) == nil)
        #expect(GeoPoint(latitude: 0, longitude: .infinity) == nil)
        #expect(GeoMath.travelSpeedKmh(from: london, at: 100, to: paris, at: 50) == nil)
        #expect(GeoMath.travelSpeedKmh(from: london, at: 0, to: paris, at: 3600).map { abs($0 - 343.5) < 2 } == true)
    }
}
