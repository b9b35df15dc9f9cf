import Foundation
@testable import RiskGateEngine
@testable import RiskGatePolicy

/// Locates `../shared/datasets` relative to the project root, for tests that use real data.
enum SignalsTestData {
    static let datasets: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // Signals
        .deletingLastPathComponent()  // RiskGateTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // project root
        .deletingLastPathComponent()
        .appendingPathComponent("shared/datasets")

    static var maxmind: URL { datasets.appendingPathComponent("geo/maxmind-test") }
    static var available: Bool { FileManager.default.fileExists(atPath: maxmind.appendingPathComponent("GeoIP2-City-Test.mmdb").path) }
    static var torAvailable: Bool { FileManager.default.fileExists(atPath: datasets.appendingPathComponent("ip/tor-exit-nodes.txt").path) }

    static func mmdb(_ name: String) throws -> MMDBReader {
        try MMDBReader(contentsOf: maxmind.appendingPathComponent(name))
    }
}

/// Writes small MaxMind DB files for tests: any record size, both tree families, every data type.
enum TestMMDBWriter {
    indirect enum V {
        case string(String), uint16(UInt16), uint32(UInt32), uint64(UInt64), uint128(high: UInt64, low: UInt64)
        case int32(Int32), double(Double), float(Float), bool(Bool), bytes([UInt8])
        case map([(String, V)]), array([V]), pointer(Int)
    }

    static func control(_ type: Int, _ size: Int, into out: inout [UInt8]) {
        let (sizeBits, extra): (Int, [UInt8]) = switch size {
        case ..<29: (size, [])
        case ..<285: (29, [UInt8(size - 29)])
        case ..<65_821: (30, [UInt8((size - 285) >> 8), UInt8((size - 285) & 0xFF)])
        default: (31, [UInt8((size - 65_821) >> 16), UInt8(((size - 65_821) >> 8) & 0xFF), UInt8((size - 65_821) & 0xFF)])
        }
        if type <= 7 {
            out.append(UInt8(type << 5 | sizeBits))
        } else {
            out.append(UInt8(sizeBits))
            out.append(UInt8(type - 7))
        }
        out += extra
    }

    static func bigEndian(_ value: UInt64, minimal: Bool = true) -> [UInt8] {
        var bytes: [UInt8] = (0..<8).map { UInt8((value >> UInt64(56 - 8 * $0)) & 0xFF) }
        if minimal { while let first = bytes.first, first == 0 { bytes.removeFirst() } }
        return bytes
    }

    static func encode(_ v: V, into out: inout [UInt8]) {
        switch v {
        case .string(let s): control(2, s.utf8.count, into: &out); out += Array(s.utf8)
        case .double(let d): control(3, 8, into: &out); out += bigEndian(d.bitPattern, minimal: false)
        case .bytes(let b): control(4, b.count, into: &out); out += b
        case .uint16(let n): let b = bigEndian(UInt64(n)); control(5, b.count, into: &out); out += b
        case .uint32(let n): let b = bigEndian(UInt64(n)); control(6, b.count, into: &out); out += b
        case .map(let entries):
            control(7, entries.count, into: &out)
            for (k, value) in entries { encode(.string(k), into: &out); encode(value, into: &out) }
        case .int32(let n): let b = bigEndian(UInt64(UInt32(bitPattern: n))); control(8, b.count, into: &out); out += b
        case .uint64(let n): let b = bigEndian(n); control(9, b.count, into: &out); out += b
        case .uint128(let high, let low):
            var b = bigEndian(high) + bigEndian(low, minimal: false)
            while let first = b.first, first == 0 { b.removeFirst() }
            control(10, b.count, into: &out); out += b
        case .array(let items): control(11, items.count, into: &out); for item in items { encode(item, into: &out) }
        case .bool(let b): control(14, b ? 1 : 0, into: &out)
        case .float(let f): control(15, 4, into: &out); out += bigEndian(UInt64(f.bitPattern), minimal: false).suffix(4)
        case .pointer(let p):
            if p < 2048 {
                out += [UInt8(0x20 | (p >> 8)), UInt8(p & 0xFF)]
            } else if p < 526_336 {
                let q = p - 2048
                out += [UInt8(0x28 | (q >> 16)), UInt8((q >> 8) & 0xFF), UInt8(q & 0xFF)]
            } else if p < 526_336 + (1 << 27) {
                let q = p - 526_336
                out += [UInt8(0x30 | (q >> 24)), UInt8((q >> 16) & 0xFF), UInt8((q >> 8) & 0xFF), UInt8(q & 0xFF)]
            } else {
                out += [0x38] + bigEndian(UInt64(p), minimal: false).suffix(4)
            }
        }
    }

    enum Ref { case node(Int), data(Int), empty }

    /// A database mapping each network to a data-section offset, with `data` as the data section.
    static func database(recordSize: Int, ipVersion: Int, networks: [(IPNetwork, Int)], data: [UInt8],
                         databaseType: String = "Test") -> [UInt8] {
        var nodes: [[Ref]] = [[.empty, .empty]]
        for (network, offset) in networks.sorted(by: { $0.0.prefixLength < $1.0.prefixLength }) {
            var bits: [Bool] = (0..<network.prefixLength).map { network.address.bit($0) }
            if ipVersion == 6 && network.address.isV4 { bits = Array(repeating: false, count: 96) + bits }
            var node = 0
            for (i, bit) in bits.enumerated() {
                let side = bit ? 1 : 0
                if i == bits.count - 1 {
                    nodes[node][side] = .data(offset)
                    break
                }
                switch nodes[node][side] {
                case .node(let next): node = next
                case .data(let d):
                    nodes.append([.data(d), .data(d)]); nodes[node][side] = .node(nodes.count - 1); node = nodes.count - 1
                case .empty:
                    nodes.append([.empty, .empty]); nodes[node][side] = .node(nodes.count - 1); node = nodes.count - 1
                }
            }
        }
        let count = nodes.count
        func value(_ r: Ref) -> Int {
            switch r {
            case .node(let n): n
            case .empty: count
            case .data(let d): count + 16 + d
            }
        }
        var out: [UInt8] = []
        for node in nodes {
            let l = value(node[0]), r = value(node[1])
            switch recordSize {
            case 24: out += [UInt8(l >> 16 & 0xFF), UInt8(l >> 8 & 0xFF), UInt8(l & 0xFF), UInt8(r >> 16 & 0xFF), UInt8(r >> 8 & 0xFF), UInt8(r & 0xFF)]
            case 28:
                out += [UInt8(l >> 16 & 0xFF), UInt8(l >> 8 & 0xFF), UInt8(l & 0xFF), UInt8((l >> 24 & 0x0F) << 4 | (r >> 24 & 0x0F)),
                        UInt8(r >> 16 & 0xFF), UInt8(r >> 8 & 0xFF), UInt8(r & 0xFF)]
            default: out += bigEndian(UInt64(l), minimal: false).suffix(4) + bigEndian(UInt64(r), minimal: false).suffix(4)
            }
        }
        out += Array(repeating: 0, count: 16)
        out += data
        out += [0xAB, 0xCD, 0xEF] + Array("MaxMind.com".utf8)  // the metadata marker
        encode(.map([
            ("node_count", .uint32(UInt32(count))), ("record_size", .uint16(UInt16(recordSize))),
            ("ip_version", .uint16(UInt16(ipVersion))), ("database_type", .string(databaseType)),
            ("languages", .array([.string("en")])), ("binary_format_major_version", .uint16(2)),
            ("binary_format_minor_version", .uint16(0)), ("build_epoch", .uint64(1_700_000_000)),
            ("description", .map([("en", .string("test"))])),
        ]), into: &out)
        return out
    }
}
