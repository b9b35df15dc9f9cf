import Foundation
import RiskGatePolicy

/// Anonymity flags from a MaxMind Anonymous-IP style database.
public struct AnonymousFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// `is_anonymous`: any of the flags below.
    public static let anonymous = AnonymousFlags(rawValue: 1 << 0)
    /// `is_anonymous_vpn`
    public static let anonymousVPN = AnonymousFlags(rawValue: 1 << 1)
    /// `is_tor_exit_node`
    public static let torExitNode = AnonymousFlags(rawValue: 1 << 2)
    /// `is_hosting_provider`
    public static let hostingProvider = AnonymousFlags(rawValue: 1 << 3)
    /// `is_public_proxy`
    public static let publicProxy = AnonymousFlags(rawValue: 1 << 4)
    /// `is_residential_proxy`
    public static let residentialProxy = AnonymousFlags(rawValue: 1 << 5)
}

/// What the geolocation databases know about one address. Every field is optional: databases differ
/// in coverage (DB-IP Lite has no accuracy radius, an ASN database has no location).
public struct GeoInfo: Sendable, Hashable {
    /// ISO 3166-1 alpha-2 code, upper case (`country.iso_code`, else `registered_country.iso_code`).
    public var country: String?
    public var latitude: Double?
    public var longitude: Double?
    /// `location.accuracy_radius`, kilometres.
    public var accuracyRadiusKm: Double?
    /// `autonomous_system_number`.
    public var asn: Double?
    /// Nil when no anonymous-IP database is loaded; empty when one is loaded and lists nothing for the address.
    public var anonymous: AnonymousFlags?

    public init(country: String? = nil, latitude: Double? = nil, longitude: Double? = nil, accuracyRadiusKm: Double? = nil,
                asn: Double? = nil, anonymous: AnonymousFlags? = nil) {
        self.country = country; self.latitude = latitude; self.longitude = longitude
        self.accuracyRadiusKm = accuracyRadiusKm; self.asn = asn; self.anonymous = anonymous
    }
}

/// The geolocation databases an engine uses: a City or Country database, an ASN (or ISP) database
/// and an Anonymous-IP database, each optional.
///
/// Works with MaxMind GeoIP2/GeoLite2 files and with DB-IP's Lite MMDB files, which share the
/// GeoIP2 record layout. A damaged record is read as a miss for that database, never a crash.
public struct GeoDatabase: Sendable {
    public let city: MMDBReader?
    public let asn: MMDBReader?
    public let anonymous: MMDBReader?
    /// Decoded records by offset, one cache per database (`nil`: every lookup decodes).
    private let caches: (city: GeoRecordCache<GeoInfo>, asn: GeoRecordCache<Double>, anonymous: GeoRecordCache<AnonymousFlags>)?

    /// Combines already opened readers. With `cachingRecords` (the default) each decoded record is
    /// kept by its offset (``GeoRecordCache``), so later addresses that share it skip the decoding.
    public init(city: MMDBReader? = nil, asn: MMDBReader? = nil, anonymous: MMDBReader? = nil, cachingRecords: Bool = true) {
        self.city = city
        self.asn = asn
        self.anonymous = anonymous
        caches = cachingRecords ? (GeoRecordCache(), GeoRecordCache(), GeoRecordCache()) : nil
    }

    /// Opens database files and sorts them by their metadata `database_type`: names containing
    /// `Anonymous` (or `Proxy`) are anonymous-IP data, `ASN` or `ISP` are ASN data, anything else
    /// (City, Country, DB-IP City Lite) is location data.
    ///
    /// - Throws: ``MMDBError`` for an unreadable file, or when two files claim the same role.
    public init(files: [URL]) throws {
        var city: MMDBReader?, asn: MMDBReader?, anonymous: MMDBReader?
        for url in files {
            let reader = try MMDBReader(contentsOf: url)
            let type = reader.metadata.databaseType.lowercased()
            func assign(_ slot: inout MMDBReader?, _ role: String) throws {
                guard slot == nil else { throw MMDBError(.unsupported, "two \(role) databases given (`\(url.path)` is the second)") }
                slot = reader
            }
            if type.contains("anonymous") || type.contains("proxy") {
                try assign(&anonymous, "anonymous-IP")
            } else if type.contains("asn") || type.contains("isp") {
                try assign(&asn, "ASN")
            } else {
                try assign(&city, "location")
            }
        }
        self.init(city: city, asn: asn, anonymous: anonymous)
    }

    /// Everything known about `ip`; nil when no database has anything for it.
    public func locate(_ ip: IPAddress) -> GeoInfo? {
        var info = GeoInfo()
        var found = false
        if let city, let located = try? Self.read(city, ip, caches?.city, Self.cityRecord) {
            info = located
            found = true
        }
        if let asn, let number = try? Self.read(asn, ip, caches?.asn, Self.asnRecord) {
            info.asn = number
            found = true
        }
        if let anonymous {
            let flags = (try? Self.read(anonymous, ip, caches?.anonymous, Self.anonymousRecord)) ?? nil
            info.anonymous = flags ?? []
            if flags != nil { found = true }
        }
        return found ? info : nil
    }

    /// The fields `decode` takes from `ip`'s record, through `cache` (by the record's offset) when there is one.
    @inline(__always)
    private static func read<R>(_ reader: MMDBReader, _ ip: IPAddress, _ cache: GeoRecordCache<R>?,
                                _ decode: (MMDBRecord) throws -> R?) throws -> R? {
        guard let record = try reader.record(for: ip) else { return nil }
        guard let cache else { return try decode(record) }
        return try cache.record(at: record.offset) { try decode(record) }
    }

    /// The paths read, built once (libmaxminddb takes them as C string arrays).
    private enum Paths {
        static let country = MMDBPath("country", "iso_code")
        static let registeredCountry = MMDBPath("registered_country", "iso_code")
        static let latitude = MMDBPath("location", "latitude")
        static let longitude = MMDBPath("location", "longitude")
        static let accuracy = MMDBPath("location", "accuracy_radius")
        static let asn = MMDBPath("autonomous_system_number")
        static let flags: [(MMDBPath, AnonymousFlags)] = [
            (MMDBPath("is_anonymous"), .anonymous), (MMDBPath("is_anonymous_vpn"), .anonymousVPN),
            (MMDBPath("is_tor_exit_node"), .torExitNode), (MMDBPath("is_hosting_provider"), .hostingProvider),
            (MMDBPath("is_public_proxy"), .publicProxy), (MMDBPath("is_residential_proxy"), .residentialProxy),
        ]
    }

    /// The location fields of a City (or Country) record.
    private static func cityRecord(_ record: MMDBRecord) throws -> GeoInfo? {
        var g = GeoInfo()
        g.country = try (record.value(Paths.country) ?? record.value(Paths.registeredCountry))?.stringValue
        g.latitude = try record.value(Paths.latitude)?.doubleValue
        g.longitude = try record.value(Paths.longitude)?.doubleValue
        g.accuracyRadiusKm = try record.value(Paths.accuracy)?.doubleValue
        return g
    }

    /// The `autonomous_system_number` of an ASN record.
    private static func asnRecord(_ record: MMDBRecord) throws -> Double? {
        try record.value(Paths.asn)?.doubleValue
    }

    /// The flags of an Anonymous-IP record.
    private static func anonymousRecord(_ record: MMDBRecord) throws -> AnonymousFlags? {
        var flags: AnonymousFlags = []
        for (path, flag) in Paths.flags where try record.value(path)?.boolValue == true { flags.insert(flag) }
        return flags
    }
}
