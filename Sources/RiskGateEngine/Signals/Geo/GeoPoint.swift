import Foundation

/// A position on Earth with the radius it is known to within.
package struct GeoPoint: Sendable, Hashable {
    package var latitude: Double
    package var longitude: Double
    /// Kilometres; 0 when unknown.
    package var accuracyKm: Double

    /// A point, or nil for coordinates that are not on Earth (|lat| > 90, |lon| > 180, NaN, infinite).
    package init?(latitude: Double, longitude: Double, accuracyKm: Double? = nil) {
        guard GeoPoint.isValid(latitude: latitude, longitude: longitude) else { return nil }
        self.latitude = latitude
        self.longitude = longitude
        self.accuracyKm = GeoPoint.validAccuracy(accuracyKm) ?? 0
    }

    package static func isValid(latitude: Double, longitude: Double) -> Bool {
        latitude.isFinite && longitude.isFinite && abs(latitude) <= 90 && abs(longitude) <= 180
    }

    /// An accuracy radius if it is a usable one: finite, not negative, at most half the Earth's circumference.
    package static func validAccuracy(_ km: Double?) -> Double? {
        guard let km, km.isFinite, km >= 0, km <= GeoMath.halfCircumferenceKm else { return nil }
        return km
    }
}

/// Great-circle distance and the speed it implies.
package enum GeoMath {
    /// Mean Earth radius (IUGG), kilometres.
    package static let earthRadiusKm = 6371.0088
    package static let halfCircumferenceKm = Double.pi * earthRadiusKm

    /// Haversine distance in kilometres.
    package static func distanceKm(_ a: GeoPoint, _ b: GeoPoint) -> Double {
        let toRadians = Double.pi / 180
        let lat1 = a.latitude * toRadians, lat2 = b.latitude * toRadians
        let dLat = lat2 - lat1
        let dLon = (b.longitude - a.longitude) * toRadians
        let s1 = sin(dLat / 2), s2 = sin(dLon / 2)
        let h = s1 * s1 + cos(lat1) * cos(lat2) * s2 * s2
        return 2 * earthRadiusKm * asin(min(1, h.squareRoot()))
    }

    /// The speed needed to get from `a` at `start` to `b` at `end`, in km/h, after giving both
    /// positions the benefit of their accuracy radius (distance minus both radii, at least 0).
    ///
    /// Nil when `end` is before `start` (events out of order). Less than a second apart counts as one
    /// second, so two logins at the same instant from far apart yield a huge but finite speed.
    package static func travelSpeedKmh(from a: GeoPoint, at start: Double, to b: GeoPoint, at end: Double) -> Double? {
        guard start.isFinite, end.isFinite, end >= start else { return nil }
        let distance = max(0, distanceKm(a, b) - a.accuracyKm - b.accuracyKm)
        let hours = max(end - start, 1) / 3600
        return distance / hours
    }
}
