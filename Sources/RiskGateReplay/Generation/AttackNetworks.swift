import Foundation
import RiskGateEngine
import RiskGatePolicy

/// An IPv4 network addresses are drawn from, with what the generator reports for it.
struct PoolNetwork: Sendable, Hashable {
    /// First address of the network.
    let start: UInt32
    /// Number of addresses (2^(32 - prefix)).
    let size: UInt32
    /// Autonomous system, 0 when unknown.
    let asn: Int
    /// Index into ``WorldData/hostingSites`` for hosting networks; -1 for residential ones.
    let site: Int

    init(start: UInt32, prefix: Int, asn: Int, site: Int = -1) {
        let p = min(max(prefix, 0), 32)
        let mask: UInt32 = p == 0 ? 0 : ~UInt32(0) << UInt32(32 - p)
        self.start = start & mask
        size = p == 0 ? UInt32.max : UInt32(truncatingIfNeeded: UInt64(1) << UInt64(32 - p))
        self.asn = asn
        self.site = site
    }

    /// A host address inside the network (not the first or last when the network has more than two).
    func address(_ random: inout SeededRandom) -> UInt32 {
        if size <= 2 { return start &+ UInt32(random.below(Int(size))) }
        return start &+ 1 &+ UInt32(random.below(Int(size) - 2))
    }
}

/// The hosting networks attacks come from: datacenter/VPN ranges and Tor exits.
///
/// Read from the shared IP lists when present (a few hundred entries spread evenly over each file,
/// so the choice is the same every run), else a fixed built-in list. Output is deterministic for a
/// seed given the same source; ``source`` says which one was used.
public struct AttackNetworks: Sendable {
    let datacenter: [PoolNetwork]
    let tor: [PoolNetwork]
    /// `built-in` or the files read.
    public let source: String

    /// How many networks are taken from each file.
    static let sampleSize = 300

    /// The compiled-in list: well-known cloud and hosting prefixes and a handful of Tor exits (as of 2024).
    public static let builtIn: AttackNetworks = {
        let v4 = WorldData.v4
        // (network, prefix, ASN, site): DigitalOcean, OVH, Hetzner, Linode, Vultr, AWS, Google Cloud.
        let dc: [PoolNetwork] = [
            PoolNetwork(start: v4(104, 131, 0, 0), prefix: 16, asn: 14061, site: 0),
            PoolNetwork(start: v4(159, 65, 0, 0), prefix: 16, asn: 14061, site: 2),
            PoolNetwork(start: v4(167, 99, 0, 0), prefix: 16, asn: 14061, site: 0),
            PoolNetwork(start: v4(138, 68, 0, 0), prefix: 16, asn: 14061, site: 1),
            PoolNetwork(start: v4(178, 62, 0, 0), prefix: 16, asn: 14061, site: 3),
            PoolNetwork(start: v4(51, 68, 0, 0), prefix: 16, asn: 16276, site: 4),
            PoolNetwork(start: v4(54, 36, 0, 0), prefix: 16, asn: 16276, site: 4),
            PoolNetwork(start: v4(145, 239, 0, 0), prefix: 16, asn: 16276, site: 4),
            PoolNetwork(start: v4(51, 75, 0, 0), prefix: 16, asn: 16276, site: 4),
            PoolNetwork(start: v4(88, 198, 0, 0), prefix: 16, asn: 24940, site: 1),
            PoolNetwork(start: v4(78, 46, 0, 0), prefix: 15, asn: 24940, site: 1),
            PoolNetwork(start: v4(136, 243, 0, 0), prefix: 16, asn: 24940, site: 1),
            PoolNetwork(start: v4(65, 108, 0, 0), prefix: 16, asn: 24940, site: 5),
            PoolNetwork(start: v4(95, 216, 0, 0), prefix: 16, asn: 24940, site: 5),
            PoolNetwork(start: v4(45, 33, 0, 0), prefix: 17, asn: 63949, site: 11),
            PoolNetwork(start: v4(139, 162, 0, 0), prefix: 16, asn: 63949, site: 6),
            PoolNetwork(start: v4(45, 32, 0, 0), prefix: 16, asn: 20473, site: 7),
            PoolNetwork(start: v4(149, 28, 0, 0), prefix: 16, asn: 20473, site: 6),
            PoolNetwork(start: v4(3, 80, 0, 0), prefix: 12, asn: 16509, site: 0),
            PoolNetwork(start: v4(52, 28, 0, 0), prefix: 16, asn: 16509, site: 1),
            PoolNetwork(start: v4(13, 228, 0, 0), prefix: 15, asn: 16509, site: 6),
            PoolNetwork(start: v4(18, 228, 0, 0), prefix: 16, asn: 16509, site: 8),
            PoolNetwork(start: v4(34, 64, 0, 0), prefix: 10, asn: 396982, site: 0),
        ]
        let exits: [(UInt32, Int)] = [
            (v4(107, 189, 3, 11), 0), (v4(144, 172, 73, 6), 11), (v4(178, 17, 174, 198), 9),
            (v4(185, 165, 190, 111), 2), (v4(185, 220, 101, 141), 1), (v4(185, 220, 101, 64), 1),
            (v4(185, 246, 188, 73), 2), (v4(192, 42, 116, 209), 2), (v4(195, 176, 3, 24), 4),
            (v4(23, 137, 249, 150), 0), (v4(45, 15, 158, 165), 2), (v4(5, 255, 118, 244), 2),
            (v4(77, 81, 247, 72), 9), (v4(89, 58, 41, 156), 1),
        ]
        let tor = exits.map { PoolNetwork(start: $0.0, prefix: 32, asn: 0, site: $0.1) }
        return AttackNetworks(datacenter: dc, tor: tor, source: "built-in")
    }()

    init(datacenter: [PoolNetwork], tor: [PoolNetwork], source: String) {
        self.datacenter = datacenter
        self.tor = tor
        self.source = source
    }

    /// Reads `x4bnet-vpn-or-datacenter-v4.txt` and `tor-exit-nodes.txt` from `directory`.
    ///
    /// Returns `nil` when either file is missing or yields no IPv4 network. ASNs are unknown for these
    /// (reported without `asn`), and each network is placed at a hosting site chosen from its address,
    /// so the same network always gets the same synthetic location.
    public static func load(directory: String) -> AttackNetworks? {
        let dcPath = directory + "/x4bnet-vpn-or-datacenter-v4.txt"
        let torPath = directory + "/tor-exit-nodes.txt"
        guard let dcText = try? String(contentsOfFile: dcPath, encoding: .utf8),
              let torText = try? String(contentsOfFile: torPath, encoding: .utf8)
        else { return nil }
        let dc = sample(dcText)
        let tor = sample(torText)
        guard !dc.isEmpty, !tor.isEmpty else { return nil }
        return AttackNetworks(datacenter: dc, tor: tor, source: "\(dcPath), \(torPath)")
    }

    /// Up to ``sampleSize`` IPv4 networks spread evenly over the file's valid lines.
    static func sample(_ text: String) -> [PoolNetwork] {
        var all: [IPNetwork] = []
        for line in text.split(separator: "\n") {
            var entry = line[...]
            if let hash = entry.firstIndex(of: "#") { entry = entry[..<hash] }
            let trimmed = entry.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty, let network = IPNetwork(trimmed), network.address.isV4 else { continue }
            all.append(network)
        }
        guard !all.isEmpty else { return [] }
        let step = max(1, all.count / sampleSize)
        var result: [PoolNetwork] = []
        var i = 0
        while i < all.count && result.count < sampleSize {
            let n = all[i]
            let start = UInt32(truncatingIfNeeded: n.address.low)
            let site = Int((start >> 8) % UInt32(WorldData.hostingSites.count))
            result.append(PoolNetwork(start: start, prefix: n.prefixLength, asn: 0, site: site))
            i += step
        }
        return result
    }
}
