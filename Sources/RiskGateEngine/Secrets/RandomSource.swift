/// Randomness, injected: a CSPRNG in production, a seeded generator in tests and generation.
public protocol RandomSource: Sendable {
    /// Fills `count` random bytes.
    func bytes(_ count: Int) -> [UInt8]
}

extension RandomSource {
    /// A uniform integer in `0..<upperBound`, without modulo bias.
    public func uniform(_ upperBound: Int) -> Int {
        precondition(upperBound > 0)
        let bound = UInt64(upperBound)
        let limit = UInt64.max - UInt64.max % bound
        while true {
            let b = bytes(8)
            var v: UInt64 = 0
            for x in b { v = v << 8 | UInt64(x) }
            if v < limit { return Int(v % bound) }
        }
    }
}

/// The operating system's CSPRNG (`SystemRandomNumberGenerator`, getrandom(2) on Linux).
public struct SystemRandomSource: RandomSource {
    public init() {}
    public func bytes(_ count: Int) -> [UInt8] {
        // Eight bytes per call into the OS (not one call per byte).
        var generator = SystemRandomNumberGenerator()
        var out = [UInt8]()
        out.reserveCapacity(count)
        while out.count < count {
            var word = generator.next()
            for _ in 0..<min(8, count - out.count) {
                out.append(UInt8(truncatingIfNeeded: word))
                word >>= 8
            }
        }
        return out
    }
}

/// A deterministic generator (SplitMix64) for tests and synthetic data; never for secrets.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
