import Foundation
import RiskGateEngine

/// The draws the generator needs, on the project's seeded SplitMix64.
extension SeededRandom {
    /// Uniform in [0, 1) with 53 random bits.
    @inline(__always)
    mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// Uniform integer in `0..<n` (`n` > 0) by multiply-shift; the bias is below 2^-32 for the sizes used here.
    @inline(__always)
    mutating func below(_ n: Int) -> Int {
        Int(truncatingIfNeeded: UInt64(max(n, 1)).multipliedFullWidth(by: next()).high)
    }

    /// Uniform in [a, b).
    @inline(__always)
    mutating func between(_ a: Double, _ b: Double) -> Double { a + (b - a) * unit() }

    /// `true` with probability `p`.
    @inline(__always)
    mutating func chance(_ p: Double) -> Bool { unit() < p }

    /// Standard normal (Box–Muller; one draw per call keeps the stream simple to reason about).
    @inline(__always)
    mutating func gaussian() -> Double {
        let u1 = max(unit(), 0x1p-60)
        let u2 = unit()
        return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
    }

    /// Approximately standard normal (Irwin–Hall sum of four uniforms, bounded at ±3.46):
    /// no `log`/`cos`, for per-sample noise where tails do not matter.
    @inline(__always)
    mutating func quickGaussian() -> Double {
        let a: UInt64 = next() >> 11
        let b: UInt64 = next() >> 11
        let c: UInt64 = next() >> 11
        let d: UInt64 = next() >> 11
        let sum: Double = Double(a + b + c + d) * 0x1p-53
        return (sum - 2) * 1.7320508075688772
    }

    /// Exponential with the given mean.
    @inline(__always)
    mutating func exponential(mean: Double) -> Double { -log(1 - unit()) * mean }

    /// An index drawn with probability proportional to `cumulative[i] - cumulative[i - 1]`.
    mutating func weighted(_ cumulative: [Double]) -> Int {
        guard let total = cumulative.last else { return 0 }
        let x = unit() * total
        var lo = 0, hi = cumulative.count - 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if cumulative[mid] > x { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }
}
