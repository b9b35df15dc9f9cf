import Foundation
import RiskGatePolicy

/// Remembers an accepted login in a user's state: login history, devices and typing templates.
///
/// Failure counters and lockouts are kept by the challenge and lockout code, not here.
public enum HistoryRecorder {
    /// Most devices remembered per user; the least recently seen goes first.
    public static let maxDevices = 50
    /// Stored strings are cut to these lengths so one request cannot bloat a user's state.
    static let maxDeviceIdLength = SignalComputer.maxDeviceIdLength
    static let maxUserAgentLength = 512

    /// Records `request`, accepted at `now`, located at `location` (from ``SignalComputation/location``).
    ///
    /// Logins stay sorted by time (an out-of-order event is inserted in place), are pruned to
    /// `settings.historyWindow` before `now` and to the newest `settings.historyMaxLogins`.
    public static func recordAcceptedLogin(_ request: RequestContext, location: ResolvedLocation, settings: PolicySettings,
                                           now: Date, into state: inout UserState) {
        recordAcceptedLogin(request, location: location, typing: nil, settings: settings, now: now, into: &state)
    }

    /// As ``recordAcceptedLogin(_:location:settings:now:into:)``, with the typing sample as the
    /// decision scored it (``SignalComputation/typing``), so it is not measured again.
    package static func recordAcceptedLogin(_ request: RequestContext, location: ResolvedLocation,
                                            typing scored: TypingDynamics.ScoredSample?, settings: PolicySettings,
                                            now: Date, into state: inout UserState) {
        let deviceId = request.device?.id.flatMap { id -> String? in
            id.isEmpty || id.utf8.count > maxDeviceIdLength ? nil : id
        }
        let record = LoginRecord(
            time: now, ip: location.ip, country: location.country, asn: location.asn,
            lat: location.latitude, lon: location.longitude, accuracyKm: location.accuracyKm,
            anonymous: location.anonymous ?? false,
            userAgent: request.device?.userAgent.map {
                // At most as many characters as bytes: a short header is kept as is (shared, not copied).
                $0.utf8.count <= maxUserAgentLength ? $0 : String($0.prefix(maxUserAgentLength))
            },
            deviceId: deviceId, isLogin: isLogin(request))
        var insertAt = state.logins.count
        while insertAt > 0 && state.logins[insertAt - 1].time > now { insertAt -= 1 }
        state.logins.insert(record, at: insertAt)
        prune(&state.logins, settings: settings, now: now)

        if let deviceId {
            if let index = state.devices.firstIndex(where: { $0.id == deviceId }) {
                var device = state.devices[index]
                device.firstSeen = min(device.firstSeen, now)
                device.lastSeen = max(device.lastSeen, now)
                device.count += 1
                state.devices[index] = device
            } else {
                if state.devices.count >= maxDevices,
                   let oldest = state.devices.indices.min(by: { state.devices[$0].lastSeen < state.devices[$1].lastSeen }) {
                    state.devices.remove(at: oldest)
                }
                state.devices.append(DeviceRecord(id: deviceId, firstSeen: now, lastSeen: now, count: 1))
            }
        }

        if let typing = request.typing {
            TypingDynamics.learn(typing, into: &state.typing, scored: scored)
        }
    }

    /// Whether `request` is a login: `action` absent (login streams often leave it out) or `login`.
    static func isLogin(_ request: RequestContext) -> Bool {
        guard let action = request.action else { return true }
        return action == "login"
    }

    /// Drops logins older than the history window and all but the newest `historyMaxLogins`.
    static func prune(_ logins: inout [LoginRecord], settings: PolicySettings, now: Date) {
        let cutoff = now.addingTimeInterval(-settings.historyWindow)
        if let first = logins.firstIndex(where: { $0.time >= cutoff }) {
            if first > 0 { logins.removeFirst(first) }
        } else {
            logins.removeAll()
        }
        let keep = max(0, settings.historyMaxLogins)
        if logins.count > keep { logins.removeFirst(logins.count - keep) }
    }
}
