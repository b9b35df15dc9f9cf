import Foundation
import RiskGatePolicy

/// Turns one request plus the user's stored state into the typed signals of docs/signals.md.
///
/// Fills every ``Signal`` except `score`, `score.band`, `model.risk` and `model.log_ratio`, which the
/// engine computes afterwards. Missing or malformed input (an invalid IP, `lat: 500`, a NaN,
/// timestamps out of order) makes the affected signals unavailable; nothing here throws or traps.
///
/// - Complexity: O(logins + devices + failures) of the user's state plus one lookup per database
///   and list; no allocation beyond the strings copied into the signal slots.
public struct SignalComputer: Sendable {
    public let settings: PolicySettings
    public let environment: SignalEnvironment

    public init(settings: PolicySettings, environment: SignalEnvironment) {
        self.settings = settings
        self.environment = environment
    }

    /// Signals the engine fills itself; requests may not override them.
    static let engineSignals: Set<Signal> = [.score, .scoreBand, .modelRisk, .modelLogRatio]

    /// Device ids longer than this are treated as malformed.
    static let maxDeviceIdLength = 256

    /// Computes the signals of `request` as of `now` (the request's time).
    ///
    /// - Parameters:
    ///   - state: the user's stored state; nil for a user never seen (read as an empty history).
    ///   - signals: receives the values; slots this computer owns are overwritten.
    /// - Returns: the resolved location and the scored typing sample (for ``HistoryRecorder``), and
    ///   the overrides that were ignored.
    @discardableResult
    public func compute(_ request: RequestContext, state: UserState?, now: Date, into signals: inout SignalValues) -> SignalComputation {
        compute(request, userState: state ?? UserState(), now: now, into: &signals)
    }

    /// As ``compute(_:state:now:into:)`` for a user whose state is at hand: the state is read in
    /// place (wrapping it in an optional copied it, retaining every array it holds, on each event).
    @discardableResult
    ///
    /// `networkFailures` counts failures per source network across accounts (`ip.network_failures`);
    /// without one the signal is unavailable.
    package func compute(_ request: RequestContext, userState state: UserState, now: Date,
                         networkFailures: NetworkFailureTracker? = nil,
                         into signals: inout SignalValues) -> SignalComputation {
        let nowSeconds = now.timeIntervalSince1970
        let windowStart = nowSeconds - settings.historyWindow

        signals[.channel] = request.channel.map(Value.string) ?? .unavailable
        signals[.requestAction] = request.action.map(Value.string) ?? .unavailable

        // IP and location.
        let location = resolveLocation(request)
        signals[.ipAddress] = location.ip.map(Value.ip) ?? .unavailable
        signals[.ipCountry] = location.country.map(Value.string) ?? .unavailable
        signals[.ipASN] = location.asn.map(Value.number) ?? .unavailable
        signals[.ipAnonymous] = location.anonymous.map(Value.bool) ?? .unavailable

        // History scan: one pass over the logins.
        var loginsInWindow = 0
        var ipKnown = false
        var countryCompared = false
        var countrySeen = false
        let neighbourhood = location.ip?.neighbourhood
        // Index-based so a record's strings are not retained and released on every step.
        let logins = state.logins
        var anchorIndex = -1
        var i = logins.count - 1
        while i >= 0 {
            defer { i -= 1 }
            let t = logins[i].time.timeIntervalSince1970
            guard t <= nowSeconds else { continue }  // recorded after this request (out of order): not "previous"
            if anchorIndex < 0, !logins[i].anonymous, let lat = logins[i].lat, let lon = logins[i].lon,
               GeoPoint.isValid(latitude: lat, longitude: lon) {
                anchorIndex = i
            }
            guard t >= windowStart else { continue }
            if logins[i].isLogin { loginsInWindow += 1 }
            if !ipKnown, let ip = location.ip, let seen = logins[i].ip {
                ipKnown = seen == ip || seen.neighbourhood == neighbourhood
            }
            if let country = location.country, let seen = logins[i].country {
                countryCompared = true
                if seen == country { countrySeen = true }
            }
        }
        let anchor = anchorIndex >= 0 ? logins[anchorIndex] : nil
        signals[.historyLogins] = .number(Double(loginsInWindow))
        signals[.ipKnown] = location.ip == nil ? .unavailable : .bool(ipKnown)

        if let country = location.country, let home = CountryCode.normalise(state.profile.homeCountry) {
            signals[.geoCountryMismatch] = .bool(country != home)
        } else {
            signals[.geoCountryMismatch] = .unavailable
        }
        signals[.geoNewCountry] = countryCompared ? .bool(!countrySeen) : .unavailable

        // Travel from the previous non-anonymous located login.
        signals[.geoDistanceKm] = .unavailable
        signals[.geoVelocityKmh] = .unavailable
        signals[.geoImpossibleTravel] = .unavailable
        if let here = location.point, let anchor, let lat = anchor.lat, let lon = anchor.lon,
           let there = GeoPoint(latitude: lat, longitude: lon, accuracyKm: anchor.accuracyKm) {
            signals[.geoDistanceKm] = .distance(GeoMath.distanceKm(there, here))
            if let speed = GeoMath.travelSpeedKmh(from: there, at: anchor.time.timeIntervalSince1970, to: here, at: nowSeconds) {
                signals[.geoVelocityKmh] = .speed(speed)
                // An anonymising exit says nothing about where the user is, so it alone never raises a travel alert.
                signals[.geoImpossibleTravel] = .bool(speed > settings.impossibleTravelKmh && location.anonymous != true)
            }
        }

        // Device.
        if let id = request.device?.id, !id.isEmpty, id.utf8.count <= SignalComputer.maxDeviceIdLength {
            if let index = state.devices.firstIndex(where: { $0.id == id }) {
                let record = state.devices[index]
                signals[.deviceKnown] = .bool(true)
                signals[.deviceNew] = .bool(false)
                let age = nowSeconds - record.firstSeen.timeIntervalSince1970
                signals[.deviceAge] = age >= 0 ? .duration(age) : .unavailable
            } else {
                signals[.deviceKnown] = .bool(false)
                signals[.deviceNew] = .bool(true)
                signals[.deviceAge] = .duration(0)
            }
            signals[.deviceTrusted] = .bool(state.profile.trustedDevices.contains(id))
        } else {
            signals[.deviceKnown] = .unavailable
            signals[.deviceNew] = .unavailable
            signals[.deviceAge] = .unavailable
            signals[.deviceTrusted] = .unavailable
        }
        signals[.deviceEmulator] = request.device?.emulator.map(Value.bool) ?? .unavailable
        signals[.deviceRooted] = request.device?.rooted.map(Value.bool) ?? .unavailable

        // Typing.
        let (typing, scoredTyping) = TypingDynamics.score(request.typing, templates: state.typing,
                                                          minEnrollment: settings.typingMinEnrollment)
        signals[.typingPresent] = .bool(typing.present)
        signals[.typingEnrolled] = .bool(typing.enrolled)
        signals[.typingAnomaly] = typing.anomaly.map(Value.number) ?? .unavailable

        // Phone and account.
        let profilePhone = PhoneNumber(state.profile.phone)
        if request.phone?.ani != nil {
            if let ani = PhoneNumber(request.phone?.ani), let profilePhone {
                signals[.phoneAniMatch] = .bool(ani == profilePhone)
            } else {
                signals[.phoneAniMatch] = .unavailable
            }
        } else {
            signals[.phoneAniMatch] = .unavailable
        }
        signals[.accountKnown] = .bool(state.profile.known)
        signals[.accountHasPhone] = .bool(profilePhone != nil)
        signals[.accountHasPushDevice] = .bool(state.profile.pushDevice != nil)
        if let created = state.profile.createdAt, nowSeconds - created.timeIntervalSince1970 >= 0 {
            signals[.accountAge] = .duration(nowSeconds - created.timeIntervalSince1970)
        } else {
            signals[.accountAge] = .unavailable
        }
        let familiar = Lockout.isFamiliar(deviceKnown: signals[.deviceKnown] == .bool(true),
                                          deviceTrusted: signals[.deviceTrusted] == .bool(true),
                                          ipKnown: signals[.ipKnown] == .bool(true))
        let failureStart = nowSeconds - settings.lockoutWindow
        var failures = 0
        // A familiar context sees its own class's failures; an unfamiliar one sees both.
        for failure in state.familiarFailures {
            let t = failure.timeIntervalSince1970
            if t >= failureStart && t <= nowSeconds { failures += 1 }
        }
        if !familiar {
            for failure in state.failures {
                let t = failure.timeIntervalSince1970
                if t >= failureStart && t <= nowSeconds { failures += 1 }
            }
        }
        signals[.accountFailures] = .number(Double(failures))
        let lockEnd = Lockout.lockedUntil(state, familiar: familiar)?.timeIntervalSince1970 ?? -.infinity
        signals[.accountLocked] = .bool(lockEnd > nowSeconds)
        signals[.accountBanned] = .bool(state.banned)
        var networkCount = 0
        if let networkFailures, let ip = location.ip {
            networkCount = networkFailures.count(ip, now: now, window: settings.lockoutWindow)
            signals[.ipNetworkFailures] = .number(Double(networkCount))
        } else {
            signals[.ipNetworkFailures] = .unavailable
        }
        signals[.accountLockouts] = .number(Double(state.lockouts))

        var problems: [SignalOverrideProblem] = []
        if let overrides = request.signals, !overrides.isEmpty {
            problems = SignalComputer.applyOverrides(overrides, into: &signals)
        }
        return SignalComputation(location: location, overrideProblems: problems, typing: scoredTyping, familiar: familiar,
                                 networkFailures: networkCount)
    }

    /// Combines request-supplied `geo` (which wins field by field) with the databases and lists.
    ///
    /// A field the request supplies but gets wrong (`lat: 500`, `country: "Germany"`) is unavailable;
    /// it does not fall back to the database, since the caller meant to override it.
    public func resolveLocation(_ request: RequestContext) -> ResolvedLocation {
        var location = ResolvedLocation()
        location.ip = request.ip.flatMap { IPAddress($0)?.unmapped }
        let found = location.ip.flatMap { environment.geo?.locate($0) }

        let geo = request.geo
        if let country = geo?.country {
            location.country = CountryCode.normalise(country)
        } else {
            location.country = CountryCode.normalise(found?.country)
        }

        if geo?.lat != nil || geo?.lon != nil {
            if let lat = geo?.lat, let lon = geo?.lon, GeoPoint.isValid(latitude: lat, longitude: lon) {
                location.latitude = lat
                location.longitude = lon
                location.accuracyKm = GeoPoint.validAccuracy(geo?.accuracyKm)
            }
        } else if let lat = found?.latitude, let lon = found?.longitude, GeoPoint.isValid(latitude: lat, longitude: lon) {
            location.latitude = lat
            location.longitude = lon
            location.accuracyKm = GeoPoint.validAccuracy(found?.accuracyRadiusKm)
        }

        let asn = geo?.asn ?? found?.asn
        if let asn, asn.isFinite, asn >= 0, asn <= Double(UInt32.max), asn == asn.rounded() {
            location.asn = asn
        }

        if let ip = location.ip, environment.canJudgeAnonymity {
            location.anonymousFlags = found?.anonymous ?? (environment.geo?.anonymous != nil ? [] : nil)
            var anonymous = !(location.anonymousFlags ?? []).isEmpty
            if !anonymous {
                for list in environment.anonymousLists where list.contains(ip) {
                    anonymous = true
                    break
                }
            }
            location.anonymous = anonymous
        }
        return location
    }
}
