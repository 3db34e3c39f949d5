/// A seeded pseudo-random generator (xoshiro256**, seeded through SplitMix64).
///
/// The same seed gives the same sequence on every machine, which is what makes weight
/// initialisation and data shuffling reproducible bit for bit.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var s: (UInt64, UInt64, UInt64, UInt64)

    /// Creates a generator from a 64-bit seed.
    public init(seed: UInt64) {
        var x = seed
        func splitmix(_ x: inout UInt64) -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s = (splitmix(&x), splitmix(&x), splitmix(&x), splitmix(&x))
    }

    /// The generator's whole state (four words), to continue the sequence later (`tangle train --resume`).
    public var state: [UInt64] { [s.0, s.1, s.2, s.3] }

    /// Continues from a saved ``state``; `nil` unless it is four words, not all zero (xoshiro's one
    /// forbidden state).
    public init?(state: [UInt64]) {
        guard state.count == 4, state.contains(where: { $0 != 0 }) else { return nil }
        s = (state[0], state[1], state[2], state[3])
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        let result = rotl(s.1 &* 5, 7) &* 9
        let t = s.1 << 17
        s.2 ^= s.0
        s.3 ^= s.1
        s.1 ^= s.2
        s.0 ^= s.3
        s.2 ^= t
        s.3 = rotl(s.3, 45)
        return result
    }

    private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// A uniform `Float` in `[0, 1)` from the top 24 bits.
    public mutating func nextUnitFloat() -> Float {
        Float(next() >> 40) * (1.0 / 16_777_216.0)
    }

    /// A uniform `Float` in `[low, high)`.
    public mutating func nextFloat(in low: Float, _ high: Float) -> Float {
        low + (high - low) * nextUnitFloat()
    }

    /// A standard normal `Float` (Box–Muller, computed in `Double`).
    public mutating func nextNormal() -> Float {
        var u1 = Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
        if u1 < 1e-300 { u1 = 1e-300 }
        let u2 = Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
        return Float((-2 * _log(u1)).squareRoot() * _cos(2 * Double.pi * u2))
    }

    /// A uniformly shuffled permutation of `0..<n` (Fisher–Yates).
    public mutating func permutation(_ n: Int) -> [Int] {
        var p = Array(0..<n)
        if n < 2 { return p }
        for i in stride(from: n - 1, to: 0, by: -1) {
            let j = Int(next() % UInt64(i + 1))
            p.swapAt(i, j)
        }
        return p
    }
}

#if canImport(Glibc)
import Glibc
@inline(__always) private func _log(_ x: Double) -> Double { Glibc.log(x) }
@inline(__always) private func _cos(_ x: Double) -> Double { Glibc.cos(x) }
#else
import Foundation
@inline(__always) private func _log(_ x: Double) -> Double { Foundation.log(x) }
@inline(__always) private func _cos(_ x: Double) -> Double { Foundation.cos(x) }
#endif
