import Foundation
import Testing
@testable import RiskGateEngine
@testable import RiskGatePolicy

/// The byte-level parsers against tables of expected results and their own round trips, and the indexed set against a linear scan.
@Suite struct IPListPropertyTests {
    // MARK: Parsing

    /// Whatever the text, an address or network the parsers accept prints as text that parses
    /// back to it, and a `Substring` parses as its `String` does.
    @Test func acceptedTextRoundTrips() {
        var rng = SeededRandom(seed: 0x1915)
        var accepted = 0
        for _ in 0..<30_000 {
            let text = Self.mutated(Self.randomEntry(&rng), &rng)
            let address = IPAddress(text)
            #expect(IPAddress(text[...]) == address, "substring `\(text.debugDescription)`")
            if let address { #expect(IPAddress(address.description) == address, "address `\(text.debugDescription)`") }
            let network = IPNetwork(text)
            if let network {
                accepted += 1
                #expect(IPNetwork("\(network.address)/\(network.prefixLength)") == network, "network `\(text.debugDescription)`")
            }
            if address != nil { #expect(network?.prefixLength == (address!.isV4 ? 32 : 128)) }
        }
        // The generator must exercise both outcomes, or the checks prove little.
        #expect(accepted > 3_000 && accepted < 27_000, "accepted \(accepted) of 30000")
    }

    /// Inputs with the address (`IPAddress`) and network (`IPNetwork`, printed `address/prefix`)
    /// they parse to, `nil` when refused: dotted quads without leading zeros, RFC 4291 text with one
    /// `::` and an optional trailing dotted quad, a decimal prefix length in range; no blanks, zones
    /// or signs.
    static let parsed: [(text: String, address: String?, network: String?)] = [
        ("1.2.3.4", "1.2.3.4", "1.2.3.4/32"),
        ("0.0.0.0/0", nil, "0.0.0.0/0"),
        ("255.255.255.255/32", nil, "255.255.255.255/32"),
        ("::/0", nil, "::/0"),
        ("::", "::", "::/128"),
        ("::1/128", nil, "::1/128"),
        ("1::", "1::", "1::/128"),
        ("1::/64", nil, "1::/64"),
        ("::ffff:1.2.3.4", "::ffff:102:304", "::ffff:102:304/128"),
        ("1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304", "1:2:3:4:5:6:102:304/128"),
        ("1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0", "1:2:3:4:5:6:7:0/128"),
        ("::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8/128"),
        ("1:2:3:4:5:6:7:8/128", nil, "1:2:3:4:5:6:7:8/128"),
        ("ABCD:ef01::/16", nil, "abcd:ef01::/16"),
        ("10.0.0.0/08", nil, "10.0.0.0/8"),
        ("10.0.0.0/000", nil, "10.0.0.0/0"),
        ("1.2.3.4/33", nil, nil),
        ("::/129", nil, nil),
        ("1.2.3.4/0024", nil, nil),
        ("1.2.3.4/", nil, nil),
        ("/24", nil, nil),
        ("1.2.3.4//24", nil, nil),
        ("1:2:3:4:5:6:7:8:1.2.3.4", nil, nil),
        ("1:2:3:4:5:6:7::1.2.3.4", nil, nil),
        ("::1.2.3.4.5", nil, nil),
        ("::01.2.3.4", nil, nil),
        ("1.2.3.4::", nil, nil),
        (":::", nil, nil),
        (":", nil, nil),
        ("1:::2", nil, nil),
        ("::1::", nil, nil),
        ("1:2:3:4:5:6:7:8::", nil, nil),
        ("::1:2:3:4:5:6:7:8", nil, nil),
        ("00000::", nil, nil),
        ("0000:0000:0000:0000:0000:0000:0000:0000", "::", "::/128"),
        ("1.2.3.4/+1", nil, nil),
        ("1.2.3.4/-0", nil, nil),
        ("1.2.3.4/2\u{301}", nil, nil),
        ("1.2.3.4/\u{301}24", nil, nil),
        ("\u{0301}1.2.3.4", nil, nil),
        ("1.2.3.4 /24", nil, nil),
        (String(repeating: "0", count: 46), nil, nil),
        ("0:0:0:0:0:0:255.255.255.255", "::ffff:ffff", "::ffff:ffff/128"),
        ("0000:0000:0000:0000:0000:ffff:1.2.3.4", "::ffff:102:304", "::ffff:102:304/128"),
        ("10.1.2.3/8", nil, "10.1.2.3/8"),
        ("192.168.0.1/24", nil, "192.168.0.1/24"),
        ("2001:db8::1/32", nil, "2001:db8::1/32"),
        ("2001:DB8:0:0:8:800:200C:417A", "2001:db8::8:800:200c:417a", "2001:db8::8:800:200c:417a/128"),
        ("fe80::1%eth0", nil, nil),
        ("1.2.3", nil, nil),
        ("1.2.3.4.5", nil, nil),
        ("256.1.1.1", nil, nil),
        ("01.2.3.4", nil, nil),
        ("1.2.3.04", nil, nil),
        ("1.2.3.4/32", nil, "1.2.3.4/32"),
        (" 1.2.3.4", nil, nil),
        ("1.2.3.4 ", nil, nil),
        ("", nil, nil),
        ("::ffff:0:0/96", nil, "::ffff:0:0/96"),
        ("1.2.3.4/1a", nil, nil),
    ]

    @Test(arguments: parsed)
    func parsesAsTheTableSays(_ entry: (text: String, address: String?, network: String?)) {
        #expect(IPAddress(entry.text)?.description == entry.address, "address `\(entry.text.debugDescription)`")
        #expect(IPAddress(entry.text[...])?.description == entry.address, "substring `\(entry.text.debugDescription)`")
        #expect(IPNetwork(entry.text).map { "\($0.address)/\($0.prefixLength)" } == entry.network,
                "network `\(entry.text.debugDescription)`")
    }

    /// Lines are independent: a file parses as its lines do one by one (a bad line keeps its
    /// column and text, and gets its line number in the file).
    @Test func listParsesLineByLine() {
        var rng = SeededRandom(seed: 77)
        var networks = 0, bad = 0
        for _ in 0..<300 {
            var lines: [String] = []
            for _ in 0..<Int.random(in: 0...40, using: &rng) {
                lines.append(Self.randomLine(&rng))
            }
            // "\r\n" ends a line too (see `crlfLinesEnd`); kept apart here so "\n" alone splits lines.
            let text = lines.joined(separator: "\n").replacingOccurrences(of: "\r\n", with: "\r \n")
            let file = IPListFile.parse(text)
            var expected = (set: IPSet([]), networks: 0, badLines: [IPListFile.BadLine]())
            for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let one = IPListFile.parse(String(line))
                expected.set = expected.set.union(one.set)
                expected.networks += one.networks
                expected.badLines += one.badLines.map { IPListFile.BadLine(line: index + 1, column: $0.column, text: $0.text) }
            }
            #expect(file.networks == expected.networks, "\(text.debugDescription)")
            #expect(file.badLines == expected.badLines, "\(text.debugDescription)")
            #expect(file.set == expected.set, "\(text.debugDescription)")
            networks += file.networks
            bad += file.badLines.count
        }
        #expect(networks > 500 && bad > 500, "\(networks) networks, \(bad) bad lines")
    }

    @Test func badLinesKeepLineColumnAndText() {
        let long = String(repeating: "x", count: 100)
        let text = "10.0.0.0/8\n\t  bad entry  # note\n#\n  \(long)\n  caf\u{E9}\n \u{301}1.2.3.4\n1.2.3.4 #\u{301}x\n"
        let (set, count, bad) = IPListFile.parse(text)
        #expect(count == 1)
        #expect(set.contains(IPAddress(v4: 0x0A01_0203)))
        #expect(bad == [
            IPListFile.BadLine(line: 2, column: 4, text: "bad entry"),
            IPListFile.BadLine(line: 4, column: 3, text: String(repeating: "x", count: 80)),
            IPListFile.BadLine(line: 5, column: 3, text: "caf\u{E9}"),
            // A space carrying a combining mark is one Character, not a blank.
            IPListFile.BadLine(line: 6, column: 1, text: " \u{301}1.2.3.4"),
            // `#` carrying a combining mark does not start a comment.
            IPListFile.BadLine(line: 7, column: 1, text: "1.2.3.4 #\u{301}x"),
        ])
    }

    @Test func crlfLinesEnd() {
        let (set, count, bad) = IPListFile.parse("10.0.0.0/8\r\n# c\r\n192.0.2.1 # h\r\nnope\r\n")
        #expect(count == 2)
        #expect(set.contains(IPAddress(v4: 0xC000_0201)))
        #expect(bad == [IPListFile.BadLine(line: 4, column: 1, text: "nope")])
    }

    /// The shared lists parse whole: every line a network, merged into fewer ranges where
    /// networks overlap or touch.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: Self.datasets), "../shared/datasets/ip not found"),
          arguments: [("x4bnet-vpn-or-datacenter-v6.txt", 8752, 5271), ("tor-exit-nodes.txt", 1746, 1198), ("protonvpn-v4.txt", 672, 589), ("x4bnet-vpn-v4.txt", 10862, 6565)])
    func sharedListsParse(file: String, networks: Int, ranges: Int) throws {
        let text = try String(contentsOfFile: Self.datasets + "/" + file, encoding: .utf8)
        let parsed = IPListFile.parse(text)
        #expect(parsed.networks == networks)
        #expect(parsed.badLines.isEmpty)
        #expect(parsed.set.rangeCount == ranges)
    }

    // MARK: Membership

    @Test(arguments: [0, 1, 2, 3, 5, 17, 100, 600, 3_000])
    func setMatchesLinearScan(size: Int) {
        var rng = SeededRandom(seed: UInt64(size) &* 31 &+ 5)
        for _ in 0..<(size > 500 ? 1 : 6) {
            let networks = (0..<size).map { _ in Self.randomNetwork(&rng) }
            let set = IPSet(networks)
            #expect(set.rangeCount <= size)
            #expect(set.isEmpty == networks.isEmpty)
            for probe in Self.probes(near: networks, &rng) {
                let expected = networks.contains { Self.covers($0, probe) }
                #expect(set.contains(probe) == expected, "\(probe) in \(networks.count) networks")
            }
        }
    }

    @Test func unionMatchesEitherSide() {
        var rng = SeededRandom(seed: 99)
        for _ in 0..<20 {
            let a = (0..<Int.random(in: 0...60, using: &rng)).map { _ in Self.randomNetwork(&rng) }
            let b = (0..<Int.random(in: 0...60, using: &rng)).map { _ in Self.randomNetwork(&rng) }
            let union = IPSet(a).union(IPSet(b))
            #expect(union == IPSet(a + b))
            #expect(union == IPSet((b + a).shuffled(using: &rng)))
            for probe in Self.probes(near: a + b, &rng) {
                #expect(union.contains(probe) == (a.contains { Self.covers($0, probe) } || b.contains { Self.covers($0, probe) }))
            }
        }
    }

    @Test func wholeSpacesAndAdjacentHalvesMerge() throws {
        let halves = IPSet([try #require(IPNetwork("0.0.0.0/1")), try #require(IPNetwork("128.0.0.0/1")),
                            try #require(IPNetwork("::/1")), try #require(IPNetwork("8000::/1"))])
        #expect(halves.rangeCount == 2)
        #expect(halves == IPSet([try #require(IPNetwork("0.0.0.0/0")), try #require(IPNetwork("::/0"))]))
        #expect(halves.contains(IPAddress(v4: .max)) && halves.contains(IPAddress(v4: 0)))
        #expect(halves.contains(IPAddress(v6High: .max, low: .max)) && halves.contains(IPAddress(v6High: 0, low: 0)))
        let single = IPSet([try #require(IPNetwork("255.255.255.255")), try #require(IPNetwork("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"))])
        #expect(single.contains(IPAddress(v4: .max)) && !single.contains(IPAddress(v4: .max - 1)))
        #expect(single.contains(IPAddress(v6High: .max, low: .max)) && !single.contains(IPAddress(v6High: .max, low: .max - 1)))
        #expect(!single.contains(IPAddress(v6High: 0, low: 0xFFFF_FFFF)))
    }

    // MARK: Generators

    static let datasets = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        .deletingLastPathComponent().appendingPathComponent("shared/datasets/ip").path

    static func covers(_ network: IPNetwork, _ address: IPAddress) -> Bool {
        network.address.isV4 == address.isV4
            && network.address.masked(to: network.prefixLength) == address.masked(to: network.prefixLength)
    }

    /// Networks clustered around a few anchors so they overlap, nest and touch, plus the edges.
    static func randomNetwork(_ rng: inout SeededRandom) -> IPNetwork {
        let v4Anchors: [UInt32] = [0, 0x0A00_0000, 0x0A00_FF00, 0xC0A8_0100, 0xFFFF_FF00, 0x7FFF_FFFF]
        let v6Anchors: [UInt64] = [0, 0x2001_0DB8_0000_0000, 0x2A01_0000_0000_0000, 0xFFFF_FFFF_FFFF_FF00]
        if Bool.random(using: &rng) {
            let prefix = [0, 1, 8, 16, 24, 31, 32, 32, Int.random(in: 0...32, using: &rng)].randomElement(using: &rng) ?? 32
            let value = Bool.random(using: &rng)
                ? UInt32.random(in: .min ... .max, using: &rng)
                : (v4Anchors.randomElement(using: &rng) ?? 0) &+ UInt32.random(in: 0...600, using: &rng)
            return IPNetwork(address: IPAddress(v4: value), prefixLength: prefix)
        }
        let prefix = [0, 1, 32, 48, 63, 64, 65, 127, 128, 128, Int.random(in: 0...128, using: &rng)].randomElement(using: &rng) ?? 128
        let high = Bool.random(using: &rng)
            ? UInt64.random(in: .min ... .max, using: &rng)
            : (v6Anchors.randomElement(using: &rng) ?? 0) &+ UInt64.random(in: 0...3, using: &rng)
        let low = Bool.random(using: &rng) ? UInt64.random(in: .min ... .max, using: &rng) : UInt64.random(in: 0...300, using: &rng)
        return IPNetwork(address: IPAddress(v6High: high, low: low), prefixLength: prefix)
    }

    /// Each network's first and last address and their neighbours, the family extremes, and random addresses.
    static func probes(near networks: [IPNetwork], _ rng: inout SeededRandom) -> [IPAddress] {
        var probes = [IPAddress(v4: 0), IPAddress(v4: .max), IPAddress(v6High: 0, low: 0), IPAddress(v6High: .max, low: .max)]
        for network in networks.prefix(400) {
            let first = network.address.masked(to: network.prefixLength)
            if first.isV4 {
                let start = UInt32(truncatingIfNeeded: first.low)
                let hostBits = 32 - network.prefixLength
                let end = hostBits >= 32 ? UInt32.max : start | ((UInt32(1) << UInt32(hostBits)) &- 1)
                probes += [start, end, start &- 1, end &+ 1].map { IPAddress(v4: $0) }
            } else {
                let start = UInt128Value(high: first.high, low: first.low)
                let end = start.lastAddress(prefixLength: network.prefixLength)
                let before = start.low == 0 ? (start.high &- 1, UInt64.max) : (start.high, start.low - 1)
                let after = end.low == .max ? (end.high &+ 1, UInt64(0)) : (end.high, end.low + 1)
                probes += [(start.high, start.low), (end.high, end.low), before, after].map { IPAddress(v6High: $0.0, low: $0.1) }
            }
        }
        for _ in 0..<300 {
            probes.append(IPAddress(v4: UInt32.random(in: .min ... .max, using: &rng)))
            probes.append(IPAddress(v6High: UInt64.random(in: .min ... .max, using: &rng), low: UInt64.random(in: .min ... .max, using: &rng)))
        }
        return probes
    }

    /// A valid address or network in one of the spellings the parser accepts.
    static func randomEntry(_ rng: inout SeededRandom) -> String {
        var text: String
        switch Int.random(in: 0..<5, using: &rng) {
        case 0, 1:
            text = IPAddress(v4: UInt32.random(in: .min ... .max, using: &rng) >> UInt32.random(in: 0...24, using: &rng)).description
        case 2:
            // Canonical v6 with zero runs, so `::` appears in many places.
            let groups = (0..<8).map { _ in Bool.random(using: &rng) ? UInt64(0) : UInt64.random(in: 0...0xFFFF, using: &rng) }
            let high = groups[0..<4].reduce(0) { $0 << 16 | $1 }, low = groups[4..<8].reduce(0) { $0 << 16 | $1 }
            text = IPAddress(v6High: high, low: low).description
        case 3:
            // Full form, padded or mixed-case groups.
            text = (0..<8).map { _ in
                let g = String(UInt16.random(in: 0...0xFFFF, using: &rng), radix: 16, uppercase: Bool.random(using: &rng))
                return Bool.random(using: &rng) ? String(repeating: "0", count: 4 - g.count) + g : g
            }.joined(separator: ":")
        default:
            let head = (0..<Int.random(in: 0...5, using: &rng)).map { _ in String(UInt16.random(in: 0...0xFFFF, using: &rng), radix: 16) }
            text = (head.count == 5 ? head.joined(separator: ":") + ":" : head.joined(separator: ":") + "::")
                + IPAddress(v4: UInt32.random(in: .min ... .max, using: &rng)).description
        }
        if Int.random(in: 0..<3, using: &rng) > 0 {
            let lengths = ["0", "8", "24", "32", "33", "64", "128", "129", "024", "0000", "", "1a"]
            text += "/" + (lengths.randomElement(using: &rng) ?? "")
        }
        return text
    }

    /// `text` with zero to three random edits drawn from the characters that matter to the parsers.
    static func mutated(_ text: String, _ rng: inout SeededRandom) -> String {
        let alphabet: [Character] = Array("0123456789abcdefABCDEFgG::..//# \t\r-+x%\u{E9}\u{301}")
        var chars = Array(text)
        for _ in 0..<[0, 0, 1, 1, 2, 3].randomElement(using: &rng)! {
            let at = Int.random(in: 0...chars.count, using: &rng)
            switch Int.random(in: 0..<4, using: &rng) {
            case 0: chars.insert(alphabet.randomElement(using: &rng)!, at: at)
            case 1 where at < chars.count: chars.remove(at: at)
            case 2 where at < chars.count: chars[at] = alphabet.randomElement(using: &rng)!
            default: chars.insert(contentsOf: chars[at...].prefix(3), at: at)
            }
        }
        return String(chars)
    }

    static func randomLine(_ rng: inout SeededRandom) -> String {
        let blanks = ["", "", " ", "\t", "  ", "\r", " \u{301}"]
        let comments = ["", "", "", "# note", "#", " # x # y", "#\u{301}c"]
        switch Int.random(in: 0..<8, using: &rng) {
        case 0: return blanks.randomElement(using: &rng)!
        case 1: return comments.randomElement(using: &rng)!
        default:
            return blanks.randomElement(using: &rng)! + mutated(randomEntry(&rng), &rng)
                + blanks.randomElement(using: &rng)! + comments.randomElement(using: &rng)!
        }
    }
}
