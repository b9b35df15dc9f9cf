/// A device a synthetic user owns.
struct SyntheticDevice: Sendable {
    /// Written as `d-` and 12 hex digits.
    var id: UInt64
    /// Phone or tablet (has the app) rather than a desktop.
    var mobile: Bool
    /// Index into ``WorldData/desktopAgents`` or ``WorldData/mobileAgents``.
    var agent: UInt8
    var rooted: Bool
}

/// One account holder: where they live, what they use, when and how they log in.
///
/// Kept small (O(users) memory is the generator's whole footprint besides the schedule).
struct SyntheticUser: Sendable {
    var country: UInt8
    var city: UInt8
    /// Fixed home broadband address and the index of its ISP network in the country.
    var homeIP: UInt32
    var homeISP: UInt8
    var devices: [SyntheticDevice]
    var typing: TypingProfile
    /// E.164 digits, 0 when the account has no phone.
    var phone: UInt64
    /// Mean logins a day.
    var rate: Double
    /// Personal shift of the daily rhythm (early bird or night owl), minutes.
    var shiftMinutes: Int
    /// UTC offsets of home and of the current trip's destination, minutes (for the daily rhythm).
    var homeOffsetMinutes: Int
    var tripOffsetMinutes = 0
    /// Current or last trip: destination and the four flight times (0 when never travelled).
    var trip = Trip()
    /// Last time this user logged in.
    var lastLogin: Int64 = 0

    struct Trip: Sendable {
        var country: UInt8 = 0
        var city: UInt8 = 0
        var departs: Int64 = 0
        var arrives: Int64 = 0
        var returns: Int64 = 0
        var backHome: Int64 = 0
    }

    /// Where the user is at `t`: (country, city); `nil` while on a plane.
    func location(at t: Int64) -> (UInt8, UInt8)? {
        if trip.departs == 0 || t < trip.departs || t >= trip.backHome { return (country, city) }
        if t < trip.arrives || t >= trip.returns { return nil }
        return (trip.country, trip.city)
    }

    /// When the user is next on the ground after `t` (the arrival of the flight they are on).
    func landing(after t: Int64) -> Int64 {
        if t >= trip.departs && t < trip.arrives { return trip.arrives }
        if t >= trip.returns && t < trip.backHome { return trip.backHome }
        return t
    }

    func isAway(at t: Int64) -> Bool {
        trip.departs != 0 && t >= trip.departs && t < trip.backHome
    }
}
