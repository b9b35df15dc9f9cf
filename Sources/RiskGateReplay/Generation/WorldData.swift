import Foundation

/// The small fixed world the generator draws from: countries, cities, ISP blocks, user agents.
///
/// Everything here is compiled in so that output depends only on the seed. ISP blocks are large
/// well-known allocations of each country's incumbent or biggest broadband providers (best effort,
/// not a geolocation database); events carry their own `geo`, so RiskGate never needs to look them up.
enum WorldData {
    struct City {
        let name: StaticString
        let lat: Double
        let lon: Double
        /// Standard-time UTC offset in minutes (no daylight saving: the model is about rhythm, not calendars).
        let utcOffsetMinutes: Int
    }

    struct Country {
        let code: StaticString
        /// Relative share of users living there.
        let weight: Double
        /// Rough continent, for picking "far away" places.
        let region: Int
        /// E.164 prefix for mobile numbers (country code plus mobile lead digits) and remaining digits.
        let mobilePrefix: UInt64
        let mobileDigits: Int
        let cities: [City]
        /// Residential ISP networks (start address, prefix length, ASN).
        let isps: [PoolNetwork]
    }

    static let europe = 0, northAmerica = 1, asiaPacific = 2, southAsia = 3

    static func v4(_ a: UInt32, _ b: UInt32, _ c: UInt32, _ d: UInt32) -> UInt32 { a << 24 | b << 16 | c << 8 | d }

    static let countries: [Country] = [
        Country(code: "NO", weight: 14, region: europe, mobilePrefix: 474, mobileDigits: 7, cities: [
            City(name: "Oslo", lat: 59.9139, lon: 10.7522, utcOffsetMinutes: 60),
            City(name: "Bergen", lat: 60.3913, lon: 5.3221, utcOffsetMinutes: 60),
            City(name: "Trondheim", lat: 63.4305, lon: 10.3951, utcOffsetMinutes: 60),
            City(name: "Stavanger", lat: 58.9700, lon: 5.7331, utcOffsetMinutes: 60),
            City(name: "Tromso", lat: 69.6492, lon: 18.9553, utcOffsetMinutes: 60),
        ], isps: [
            PoolNetwork(start: v4(84, 208, 0, 0), prefix: 13, asn: 2119),
            PoolNetwork(start: v4(81, 166, 0, 0), prefix: 15, asn: 29695),
            PoolNetwork(start: v4(92, 220, 0, 0), prefix: 15, asn: 29695),
            PoolNetwork(start: v4(84, 48, 0, 0), prefix: 16, asn: 15659),
        ]),
        Country(code: "DE", weight: 14, region: europe, mobilePrefix: 4915, mobileDigits: 9, cities: [
            City(name: "Berlin", lat: 52.5200, lon: 13.4050, utcOffsetMinutes: 60),
            City(name: "Hamburg", lat: 53.5511, lon: 9.9937, utcOffsetMinutes: 60),
            City(name: "Munich", lat: 48.1351, lon: 11.5820, utcOffsetMinutes: 60),
            City(name: "Cologne", lat: 50.9375, lon: 6.9603, utcOffsetMinutes: 60),
            City(name: "Frankfurt", lat: 50.1109, lon: 8.6821, utcOffsetMinutes: 60),
        ], isps: [
            PoolNetwork(start: v4(79, 192, 0, 0), prefix: 10, asn: 3320),
            PoolNetwork(start: v4(91, 0, 0, 0), prefix: 10, asn: 3320),
            PoolNetwork(start: v4(217, 224, 0, 0), prefix: 11, asn: 3320),
            PoolNetwork(start: v4(88, 64, 0, 0), prefix: 12, asn: 3209),
        ]),
        Country(code: "GB", weight: 12, region: europe, mobilePrefix: 447, mobileDigits: 9, cities: [
            City(name: "London", lat: 51.5074, lon: -0.1278, utcOffsetMinutes: 0),
            City(name: "Manchester", lat: 53.4808, lon: -2.2426, utcOffsetMinutes: 0),
            City(name: "Birmingham", lat: 52.4862, lon: -1.8904, utcOffsetMinutes: 0),
            City(name: "Edinburgh", lat: 55.9533, lon: -3.1883, utcOffsetMinutes: 0),
            City(name: "Leeds", lat: 53.8008, lon: -1.5491, utcOffsetMinutes: 0),
        ], isps: [
            PoolNetwork(start: v4(86, 128, 0, 0), prefix: 10, asn: 2856),
        ]),
        Country(code: "US", weight: 16, region: northAmerica, mobilePrefix: 1, mobileDigits: 10, cities: [
            City(name: "New York", lat: 40.7128, lon: -74.0060, utcOffsetMinutes: -300),
            City(name: "Chicago", lat: 41.8781, lon: -87.6298, utcOffsetMinutes: -360),
            City(name: "Los Angeles", lat: 34.0522, lon: -118.2437, utcOffsetMinutes: -480),
            City(name: "Houston", lat: 29.7604, lon: -95.3698, utcOffsetMinutes: -360),
            City(name: "Seattle", lat: 47.6062, lon: -122.3321, utcOffsetMinutes: -480),
            City(name: "Atlanta", lat: 33.7490, lon: -84.3880, utcOffsetMinutes: -300),
        ], isps: [
            PoolNetwork(start: v4(73, 0, 0, 0), prefix: 8, asn: 7922),
            PoolNetwork(start: v4(12, 0, 0, 0), prefix: 8, asn: 7018),
        ]),
        Country(code: "FR", weight: 8, region: europe, mobilePrefix: 336, mobileDigits: 8, cities: [
            City(name: "Paris", lat: 48.8566, lon: 2.3522, utcOffsetMinutes: 60),
            City(name: "Lyon", lat: 45.7640, lon: 4.8357, utcOffsetMinutes: 60),
            City(name: "Marseille", lat: 43.2965, lon: 5.3698, utcOffsetMinutes: 60),
            City(name: "Toulouse", lat: 43.6047, lon: 1.4442, utcOffsetMinutes: 60),
        ], isps: [
            PoolNetwork(start: v4(90, 0, 0, 0), prefix: 9, asn: 3215),
            PoolNetwork(start: v4(2, 0, 0, 0), prefix: 12, asn: 3215),
            PoolNetwork(start: v4(88, 160, 0, 0), prefix: 11, asn: 12322),
        ]),
        Country(code: "SE", weight: 6, region: europe, mobilePrefix: 467, mobileDigits: 8, cities: [
            City(name: "Stockholm", lat: 59.3293, lon: 18.0686, utcOffsetMinutes: 60),
            City(name: "Gothenburg", lat: 57.7089, lon: 11.9746, utcOffsetMinutes: 60),
            City(name: "Malmo", lat: 55.6050, lon: 13.0038, utcOffsetMinutes: 60),
        ], isps: [
            PoolNetwork(start: v4(78, 64, 0, 0), prefix: 12, asn: 3301),
        ]),
        Country(code: "NL", weight: 5, region: europe, mobilePrefix: 316, mobileDigits: 8, cities: [
            City(name: "Amsterdam", lat: 52.3676, lon: 4.9041, utcOffsetMinutes: 60),
            City(name: "Rotterdam", lat: 51.9244, lon: 4.4777, utcOffsetMinutes: 60),
            City(name: "Utrecht", lat: 52.0907, lon: 5.1214, utcOffsetMinutes: 60),
        ], isps: [
            PoolNetwork(start: v4(77, 160, 0, 0), prefix: 12, asn: 1136),
        ]),
        Country(code: "ES", weight: 5, region: europe, mobilePrefix: 346, mobileDigits: 8, cities: [
            City(name: "Madrid", lat: 40.4168, lon: -3.7038, utcOffsetMinutes: 60),
            City(name: "Barcelona", lat: 41.3874, lon: 2.1686, utcOffsetMinutes: 60),
            City(name: "Valencia", lat: 39.4699, lon: -0.3763, utcOffsetMinutes: 60),
            City(name: "Seville", lat: 37.3891, lon: -5.9845, utcOffsetMinutes: 60),
        ], isps: [
            PoolNetwork(start: v4(83, 32, 0, 0), prefix: 11, asn: 3352),
            PoolNetwork(start: v4(88, 0, 0, 0), prefix: 11, asn: 3352),
        ]),
        Country(code: "PL", weight: 4, region: europe, mobilePrefix: 485, mobileDigits: 8, cities: [
            City(name: "Warsaw", lat: 52.2297, lon: 21.0122, utcOffsetMinutes: 60),
            City(name: "Krakow", lat: 50.0647, lon: 19.9450, utcOffsetMinutes: 60),
            City(name: "Wroclaw", lat: 51.1079, lon: 17.0385, utcOffsetMinutes: 60),
        ], isps: [
            PoolNetwork(start: v4(83, 0, 0, 0), prefix: 11, asn: 5617),
        ]),
        Country(code: "CA", weight: 4, region: northAmerica, mobilePrefix: 1, mobileDigits: 10, cities: [
            City(name: "Toronto", lat: 43.6532, lon: -79.3832, utcOffsetMinutes: -300),
            City(name: "Montreal", lat: 45.5017, lon: -73.5673, utcOffsetMinutes: -300),
            City(name: "Vancouver", lat: 49.2827, lon: -123.1207, utcOffsetMinutes: -480),
            City(name: "Calgary", lat: 51.0447, lon: -114.0719, utcOffsetMinutes: -420),
        ], isps: [
            PoolNetwork(start: v4(99, 224, 0, 0), prefix: 11, asn: 812),
        ]),
        Country(code: "AU", weight: 3, region: asiaPacific, mobilePrefix: 614, mobileDigits: 8, cities: [
            City(name: "Sydney", lat: -33.8688, lon: 151.2093, utcOffsetMinutes: 600),
            City(name: "Melbourne", lat: -37.8136, lon: 144.9631, utcOffsetMinutes: 600),
            City(name: "Brisbane", lat: -27.4698, lon: 153.0251, utcOffsetMinutes: 600),
            City(name: "Perth", lat: -31.9505, lon: 115.8605, utcOffsetMinutes: 480),
        ], isps: [
            PoolNetwork(start: v4(1, 128, 0, 0), prefix: 11, asn: 1221),
            PoolNetwork(start: v4(58, 160, 0, 0), prefix: 12, asn: 1221),
        ]),
        Country(code: "IN", weight: 4, region: southAsia, mobilePrefix: 919, mobileDigits: 9, cities: [
            City(name: "Mumbai", lat: 19.0760, lon: 72.8777, utcOffsetMinutes: 330),
            City(name: "Delhi", lat: 28.7041, lon: 77.1025, utcOffsetMinutes: 330),
            City(name: "Bangalore", lat: 12.9716, lon: 77.5946, utcOffsetMinutes: 330),
        ], isps: [
            PoolNetwork(start: v4(122, 160, 0, 0), prefix: 12, asn: 24560),
            PoolNetwork(start: v4(117, 192, 0, 0), prefix: 10, asn: 9829),
        ]),
    ]

    /// Where hosting (datacenter, VPN, Tor) addresses are placed when a network's location is not known.
    struct HostingSite {
        let country: StaticString
        let lat: Double
        let lon: Double
        let region: Int
    }

    static let hostingSites: [HostingSite] = [
        HostingSite(country: "US", lat: 39.0438, lon: -77.4874, region: northAmerica),  // Ashburn
        HostingSite(country: "DE", lat: 50.1109, lon: 8.6821, region: europe),  // Frankfurt
        HostingSite(country: "NL", lat: 52.3676, lon: 4.9041, region: europe),  // Amsterdam
        HostingSite(country: "GB", lat: 51.5074, lon: -0.1278, region: europe),  // London
        HostingSite(country: "FR", lat: 50.6292, lon: 3.0573, region: europe),  // Roubaix
        HostingSite(country: "FI", lat: 60.1699, lon: 24.9384, region: europe),  // Helsinki
        HostingSite(country: "SG", lat: 1.3521, lon: 103.8198, region: asiaPacific),  // Singapore
        HostingSite(country: "JP", lat: 35.6762, lon: 139.6503, region: asiaPacific),  // Tokyo
        HostingSite(country: "BR", lat: -23.5505, lon: -46.6333, region: 4),  // Sao Paulo
        HostingSite(country: "RO", lat: 44.4268, lon: 26.1025, region: europe),  // Bucharest
        HostingSite(country: "RU", lat: 55.7558, lon: 37.6173, region: europe),  // Moscow
        HostingSite(country: "US", lat: 32.7767, lon: -96.7970, region: northAmerica),  // Dallas
    ]

    /// Desktop browsers.
    static let desktopAgents: [StaticString] = [
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.80",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Safari/537.36",
        "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
    ]

    /// Phone and tablet browsers; ``appAgents`` holds the banking app's agent on the same device, index for index.
    static let mobileAgents: [StaticString] = [
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 16_7_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36",
        "Mozilla/5.0 (Linux; Android 13; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.6312.99 Mobile Safari/537.36",
        "Mozilla/5.0 (Linux; Android 12; moto g(60)) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.6261.105 Mobile Safari/537.36",
        "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    ]

    static let appAgents: [StaticString] = [
        "RiskGateDemoBank/5.12.0 (iPhone15,2; iOS 17.4.1)",
        "RiskGateDemoBank/5.11.3 (iPhone12,1; iOS 16.7.7)",
        "RiskGateDemoBank/5.12.0 (Pixel 8; Android 14)",
        "RiskGateDemoBank/5.12.0 (SM-S911B; Android 13)",
        "RiskGateDemoBank/5.10.1 (moto g(60); Android 12)",
        "RiskGateDemoBank/5.12.0 (iPad13,4; iPadOS 17.4)",
    ]

    /// What credential-stuffing tools send: common browsers, headless browsers and HTTP libraries.
    static let botAgents: [StaticString] = [
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.6099.109 Safari/537.36",
        "Mozilla/5.0 (Windows NT 6.1; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/87.0.4280.88 Safari/537.36",
        "python-requests/2.31.0",
        "okhttp/4.12.0",
        "curl/8.4.0",
    ]

    /// Great-circle distance in kilometres.
    static func distanceKm(_ lat1: Double, _ lon1: Double, _ lat2: Double, _ lon2: Double) -> Double {
        let r = 6371.0
        let p1 = lat1 * .pi / 180, p2 = lat2 * .pi / 180
        let dp = p2 - p1, dl = (lon2 - lon1) * .pi / 180
        let a = sin(dp / 2) * sin(dp / 2) + cos(p1) * cos(p2) * sin(dl / 2) * sin(dl / 2)
        return 2 * r * asin(min(1, a.squareRoot()))
    }
}
