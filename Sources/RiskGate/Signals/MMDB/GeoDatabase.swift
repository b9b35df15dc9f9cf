import Foundation

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
        if let city, let located = try? city.withRecord(ip, { d, offset -> GeoInfo? in
            try cached(caches?.city, offset) { try Self.cityRecord(d, offset) }
        }) {
            info = located
            found = true
        }
        if let asn, let number = try? asn.withRecord(ip, { d, offset -> Double? in
            try cached(caches?.asn, offset) { try Self.asnRecord(d, offset) }
        }) {
            info.asn = number
            found = true
        }
        if let anonymous {
            let flags = (try? anonymous.withRecord(ip, { d, offset -> AnonymousFlags? in
                try cached(caches?.anonymous, offset) { try Self.anonymousRecord(d, offset) }
            })) ?? nil
            info.anonymous = flags ?? []
            if flags != nil { found = true }
        }
        return found ? info : nil
    }

    /// `decode()` through `cache` when there is one.
    @inline(__always)
    private func cached<R>(_ cache: GeoRecordCache<R>?, _ offset: Int, _ decode: () throws -> R?) throws -> R? {
        guard let cache else { return try decode() }
        return try cache.record(at: offset, decode: decode)
    }

    /// The location fields of the City (or Country) record at `offset`.
    private static func cityRecord(_ d: MMDBDecoder, _ offset: Int) throws -> GeoInfo? {
        var g = GeoInfo()
        if let o = try d.find("country", "iso_code", from: offset) ?? d.find("registered_country", "iso_code", from: offset) {
            g.country = try d.string(at: o)
        }
        if let location = try d.findKey("location", inMapAt: offset) {
            if let o = try d.findKey("latitude", inMapAt: location) { g.latitude = try d.double(at: o) }
            if let o = try d.findKey("longitude", inMapAt: location) { g.longitude = try d.double(at: o) }
            if let o = try d.findKey("accuracy_radius", inMapAt: location) { g.accuracyRadiusKm = try d.double(at: o) }
        }
        return g
    }

    /// The `autonomous_system_number` of the ASN record at `offset`.
    private static func asnRecord(_ d: MMDBDecoder, _ offset: Int) throws -> Double? {
        guard let o = try d.findKey("autonomous_system_number", inMapAt: offset) else { return nil }
        return try d.double(at: o)
    }

    /// The flags of the Anonymous-IP record at `offset`.
    private static func anonymousRecord(_ d: MMDBDecoder, _ offset: Int) throws -> AnonymousFlags? {
        var flags: AnonymousFlags = []
        if let o = try d.findKey("is_anonymous", inMapAt: offset), try d.bool(at: o) == true { flags.insert(.anonymous) }
        if let o = try d.findKey("is_anonymous_vpn", inMapAt: offset), try d.bool(at: o) == true { flags.insert(.anonymousVPN) }
        if let o = try d.findKey("is_tor_exit_node", inMapAt: offset), try d.bool(at: o) == true { flags.insert(.torExitNode) }
        if let o = try d.findKey("is_hosting_provider", inMapAt: offset), try d.bool(at: o) == true { flags.insert(.hostingProvider) }
        if let o = try d.findKey("is_public_proxy", inMapAt: offset), try d.bool(at: o) == true { flags.insert(.publicProxy) }
        if let o = try d.findKey("is_residential_proxy", inMapAt: offset), try d.bool(at: o) == true { flags.insert(.residentialProxy) }
        return flags
    }
}
