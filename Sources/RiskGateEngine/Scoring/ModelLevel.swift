/// One level of the login model's two feature hierarchies, coarsest first within each chain.
///
/// The location chain is country → ASN → IP; the agent chain is device type → OS → browser →
/// full user agent. A finer level is always counted under the exact coarser values above it
/// (its key hashes the whole path), so the counts of one chain form a tree.
public enum ModelLevel: Int, Sendable, Hashable, CaseIterable {
    case country, asn, ip
    case deviceType, os, browser, userAgent

    /// The name used in explanations.
    public var name: String {
        switch self {
        case .country: "country"
        case .asn: "asn"
        case .ip: "ip"
        case .deviceType: "device_type"
        case .os: "os"
        case .browser: "browser"
        case .userAgent: "user_agent"
        }
    }

    /// Whether this level is the top of its chain (its parent is the chain's root).
    var isChainRoot: Bool { self == .country || self == .deviceType }

    /// The chain this level belongs to: 0 location, 1 agent.
    var chain: Int { rawValue < ModelLevel.deviceType.rawValue ? 0 : 1 }

    /// Probability of one value never seen under its parent anywhere, `1 / (assumed number of
    /// possible values)`. It only shapes the global estimate of values seen a handful of times;
    /// see docs/scoring.md.
    var baseProbability: Double {
        switch self {
        case .country: 1.0 / 250
        case .asn: 1.0 / 1_000
        case .ip: 1.0 / 65_536
        case .deviceType: 1.0 / 5
        case .os: 1.0 / 100
        case .browser: 1.0 / 500
        case .userAgent: 1.0 / 10_000
        }
    }

    static let count = 7
}

/// A fixed-size value per ``ModelLevel``, kept inline so that scoring does not allocate.
package struct PerLevel<Element: Sendable>: Sendable {
    private var storage: (Element, Element, Element, Element, Element, Element, Element)

    package init(repeating value: Element) {
        storage = (value, value, value, value, value, value, value)
    }

    package subscript(index: Int) -> Element {
        get {
            precondition(index >= 0 && index < ModelLevel.count)
            return withUnsafePointer(to: storage) {
                UnsafeRawPointer($0).assumingMemoryBound(to: Element.self)[index]
            }
        }
        set {
            precondition(index >= 0 && index < ModelLevel.count)
            withUnsafeMutablePointer(to: &storage) {
                UnsafeMutableRawPointer($0).assumingMemoryBound(to: Element.self)[index] = newValue
            }
        }
    }
}

extension PerLevel: Equatable where Element: Equatable {
    package static func == (lhs: PerLevel, rhs: PerLevel) -> Bool {
        (0..<ModelLevel.count).allSatisfy { lhs[$0] == rhs[$0] }
    }
}

extension PerLevel: Hashable where Element: Hashable {
    package func hash(into hasher: inout Hasher) {
        for index in 0..<ModelLevel.count { hasher.combine(self[index]) }
    }
}
