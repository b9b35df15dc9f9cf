/// The coarse facts the login model reads from a User-Agent header: browser, OS and device type.
///
/// A deliberately small token parser, not a full ua-parser port: it knows the families that
/// dominate real logins (Chrome and its WebView, Safari, Firefox, Edge, Opera, Samsung, MIUI,
/// Yandex, UC, IE; Windows, macOS, iOS, Android, Chrome OS, Linux) and the odd strings of the
/// RBA login data set (doubled `Mozilla/5.0`, `Gecko` without its closing parenthesis). Only the
/// first ``parsedPrefix`` bytes are read, so a hostile megabyte header costs the same as a normal one.
public struct UserAgent: Sendable, Hashable {
    /// How the client presents itself.
    public enum DeviceType: String, Sendable, Hashable, CaseIterable {
        case mobile, tablet, desktop, bot, unknown
    }

    /// Browser family, e.g. `Chrome Mobile`, or `Other`.
    public var browserName: String
    /// Browser major version, e.g. `86`, when the string carries one.
    public var browserMajor: String?
    /// Operating system family, e.g. `Android`, `Mac OS X`, `Windows`, or `Other`.
    public var osName: String
    /// OS major version (`10`, `13`; for Windows the marketing name: `10`, `8.1`, `7`, `XP`).
    public var osMajor: String?
    public var deviceType: DeviceType

    /// Bytes of the header that are parsed; the rest is ignored.
    public static let parsedPrefix = 1024

    /// `browserName` and `browserMajor`, e.g. `Chrome 86`.
    public var browser: String { browserMajor.map { "\(browserName) \($0)" } ?? browserName }
    /// `osName` and `osMajor`, e.g. `iOS 13`.
    public var os: String { osMajor.map { "\(osName) \($0)" } ?? osName }

    /// Parses a User-Agent header; never fails (unknown parts become `Other` / `unknown`).
    public init(parsing header: some StringProtocol) {
        let scanner = Scanner(header)
        (browserName, browserMajor) = scanner.browser()
        (osName, osMajor) = scanner.operatingSystem()
        deviceType = scanner.deviceType(osName: osName)
    }

    /// Case-insensitive searches over the lower-cased, bounded prefix.
    private struct Scanner {
        let bytes: [UInt8]
        /// A 1024-bit Bloom filter of the byte pairs in `bytes`: most of the ~60 token searches
        /// are answered "absent" by it without scanning the string.
        let pairs: [UInt64]

        init(_ header: some StringProtocol) {
            var lowered: [UInt8] = []
            lowered.reserveCapacity(min(header.utf8.count, UserAgent.parsedPrefix))
            var pairs = [UInt64](repeating: 0, count: 16)
            var previous: UInt8 = 0
            for byte in header.utf8.prefix(UserAgent.parsedPrefix) {
                let b = byte >= 65 && byte <= 90 ? byte | 0x20 : byte
                if !lowered.isEmpty {
                    let bit = Scanner.pairBit(previous, b)
                    pairs[bit >> 6] |= 1 << UInt64(bit & 63)
                }
                lowered.append(b)
                previous = b
            }
            bytes = lowered
            self.pairs = pairs
        }

        @inline(__always)
        static func pairBit(_ a: UInt8, _ b: UInt8) -> Int {
            Int(truncatingIfNeeded: ((UInt32(a) << 8 | UInt32(b)) &* 0x9E37_79B1) >> 22)
        }

        /// Index just past the first occurrence of `token` (lower case ASCII), or nil.
        func end(of token: StaticString) -> Int? {
            token.withUTF8Buffer { needle in
                bytes.withUnsafeBufferPointer { hay in
                    let n = needle.count
                    guard n > 0, n <= hay.count else { return nil }
                    for j in 1..<max(n, 1) {
                        let bit = Scanner.pairBit(needle[j - 1], needle[j])
                        if pairs[bit >> 6] & (1 << UInt64(bit & 63)) == 0 { return nil }
                    }
                    let first = needle[0]
                    var start = 0
                    let last = hay.count - n
                    while start <= last {
                        if hay[start] == first {
                            var j = 1
                            while j < n && hay[start + j] == needle[j] { j += 1 }
                            if j == n { return start + n }
                        }
                        start += 1
                    }
                    return nil
                }
            }
        }

        func has(_ token: StaticString) -> Bool { end(of: token) != nil }

        /// The leading decimal digits at `index` (skipping spaces), at most 8 of them.
        func number(at index: Int) -> String? {
            var i = index
            while i < bytes.count, bytes[i] == 32 { i += 1 }
            var digits: [UInt8] = []
            while i < bytes.count, digits.count < 8, bytes[i] >= 48, bytes[i] <= 57 {
                digits.append(bytes[i])
                i += 1
            }
            return digits.isEmpty ? nil : String(decoding: digits, as: UTF8.self)
        }

        func version(after token: StaticString) -> String? {
            end(of: token).flatMap { number(at: $0) }
        }

        /// Browsers recognised by their own token, checked before the tokens they also carry
        /// (Edge and Opera strings contain `Chrome/`).
        static let browserRules: [(token: StaticString, name: String)] = [
            ("edg/", "Edge"), ("edge/", "Edge"), ("edga/", "Edge"), ("edgios/", "Edge"),
            ("opera mini/", "Opera Mini"), ("opr/", "Opera"), ("opera/", "Opera"),
            ("samsungbrowser/", "Samsung Internet"), ("miuibrowser/", "MiuiBrowser"),
            ("yabrowser/", "Yandex Browser"), ("ucbrowser/", "UC Browser"), ("vivaldi/", "Vivaldi"),
            ("fxios/", "Firefox iOS"), ("crios/", "Chrome Mobile iOS"),
            ("headlesschrome/", "HeadlessChrome"),
        ]

        static let botTokens: [StaticString] = [
            "bot/", "bot;", "bot)", "bot ", "bot-", "crawler", "spider", "slurp", "curl/", "wget/",
            "python-", "go-http-client", "headless", "okhttp", "java/", "libwww", "scrapy",
            "phantomjs", "facebookexternalhit", "+http",
        ]

        func browser() -> (String, String?) {
            for rule in Scanner.browserRules where has(rule.token) {
                return (rule.name, version(after: rule.token))
            }
            if has("firefox/") {
                return (has("mobile") && !has("iphone") ? "Firefox Mobile" : "Firefox", version(after: "firefox/"))
            }
            if has("chrome/") {
                let name: String
                if has("; wv") || has(" wv)") {
                    name = "Chrome Mobile WebView"
                } else if has("mobile") {
                    name = "Chrome Mobile"
                } else {
                    name = "Chrome"
                }
                return (name, version(after: "chrome/"))
            }
            if has("chromium/") { return ("Chromium", version(after: "chromium/")) }
            if has("msie ") { return ("IE", version(after: "msie ")) }
            if has("trident/"), has("rv:") { return ("IE", version(after: "rv:")) }
            if has("safari/") || has("applewebkit/") {
                if has("android"), has("version/") { return ("Android", version(after: "android")) }
                let mobile = has("mobile") || has("iphone") || has("ipad") || has("ipod")
                return (mobile ? "Mobile Safari" : "Safari", version(after: "version/"))
            }
            return ("Other", nil)
        }

        func operatingSystem() -> (String, String?) {
            if has("windows phone") { return ("Windows Phone", version(after: "windows phone os") ?? version(after: "windows phone")) }
            if let end = end(of: "windows nt ") {
                let major = number(at: end)
                var minor: String? = nil
                if let major, end + major.utf8.count < bytes.count, bytes[end + major.utf8.count] == 46 {
                    minor = number(at: end + major.utf8.count + 1)
                }
                let name: String? = switch (major, minor) {
                case ("10", _): "10"
                case ("6", "3"): "8.1"
                case ("6", "2"): "8"
                case ("6", "1"): "7"
                case ("6", "0"): "Vista"
                case ("5", "1"), ("5", "2"): "XP"
                default: major
                }
                return ("Windows", name)
            }
            if has("windows") { return ("Windows", nil) }
            if let v = version(after: "iphone os ") ?? version(after: "cpu os ") { return ("iOS", v) }
            if has("iphone") || has("ipad") || has("ipod") { return ("iOS", nil) }
            if let end = end(of: "android") {
                return ("Android", number(at: end))
            }
            if let end = end(of: "cros ") {
                // `CrOS x86_64 13020.67.3`: skip the architecture word.
                var i = end
                while i < bytes.count, bytes[i] != 32, bytes[i] != 59, bytes[i] != 41 { i += 1 }
                return ("Chrome OS", number(at: i))
            }
            if has("mac os x") {
                return ("Mac OS X", version(after: "mac os x "))
            }
            if has("macintosh") { return ("Mac OS X", nil) }
            if has("ubuntu") { return ("Ubuntu", version(after: "ubuntu/")) }
            if has("linux") || has("x11") { return ("Linux", nil) }
            return ("Other", nil)
        }

        func deviceType(osName: String) -> DeviceType {
            if Scanner.botTokens.contains(where: has) { return .bot }
            if has("ipad") || has("tablet") || has("kindle") || has("silk/") || has("playbook") { return .tablet }
            if has("iphone") || has("ipod") || has("mobi") || has("windows phone") || has("blackberry")
                || has("opera mini") { return .mobile }
            if osName == "Android" { return .tablet }  // Android without "Mobile" is a tablet by Google's convention.
            switch osName {
            case "Windows", "Mac OS X", "Chrome OS", "Linux", "Ubuntu": return .desktop
            default: return .unknown
            }
        }
    }
}
