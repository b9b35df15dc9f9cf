import RiskGateEngine

/// One person's keystroke rhythm for a fixed-length password field.
///
/// Per-key hold times and key-to-key (down-down) intervals, in milliseconds. Each sample adds an
/// overall tempo wobble (a slow or quick day) and per-key noise, so samples of one person cluster
/// around the template while another person's profile sits elsewhere.
struct TypingProfile: Sendable {
    /// Keys in the password field (the same for everyone so that templates are comparable).
    static let keyCount = 10

    /// Hold times of the ``keyCount`` keys (lanes beyond are unused); SIMD storage keeps the profile inline, no refcounting.
    var hold: SIMD16<Float>
    /// Down-down intervals between consecutive keys (``keyCount`` - 1 lanes used).
    var flight: SIMD16<Float>

    /// A person drawn from the population: tempo varies between people far more than between samples.
    static func random(_ r: inout SeededRandom) -> TypingProfile {
        let tempo = exp(0.3 * r.gaussian())
        let holdBase = 85 + 15 * r.gaussian()
        var hold = SIMD16<Float>()
        var flight = SIMD16<Float>()
        for i in 0..<keyCount {
            hold[i] = Float(max(35, holdBase + 18 * r.gaussian()))
        }
        for i in 0..<(keyCount - 1) {
            // Some transitions are awkward for this person (same finger, shift): long pauses.
            let awkward = r.chance(0.2) ? 1.8 : 1.0
            flight[i] = Float(max(60, tempo * awkward * (170 + 45 * r.gaussian())))
        }
        return TypingProfile(hold: hold, flight: flight)
    }

    /// A script's timing: fast and almost constant.
    static let bot = TypingProfile(hold: SIMD16(repeating: 28), flight: SIMD16(repeating: 45))

    /// Writes `"typing":{"field":"password","keys":[...]}` for one noisy sample.
    func write(_ w: EventWriter, _ r: inout SeededRandom, noise: Double = 1) {
        w.raw("\"typing\":{\"field\":\"password\",\"keys\":[")
        let day = 1 + 0.06 * noise * r.quickGaussian()
        var down = 0.0
        for i in 0..<TypingProfile.keyCount {
            if i > 0 {
                let f = Double(flight[i - 1])
                down += max(25, day * (f + 0.16 * noise * f * r.quickGaussian()))
            }
            let h = Double(hold[i])
            let held = max(15, day * (h + 0.12 * noise * h * r.quickGaussian()))
            w.raw(i == 0 ? "{\"down\":" : ",{\"down\":")
            let d = Int(down.rounded())
            w.int(d)
            w.raw(",\"up\":")
            w.int(max(d + 1, Int((down + held).rounded())))
            w.raw("}")
        }
        w.raw("]}")
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
import RiskGateEngine
#endif
