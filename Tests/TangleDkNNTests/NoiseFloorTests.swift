import Foundation
import Testing
@testable import TangleDkNN

@Suite struct NoiseFloorTests {
    func floor(_ x: [Float], _ h: Int, _ w: Int, _ c: Int) -> Double { measured(x, h, w, c, by: NoiseFloor.score) }

    /// Every case of `Tests/Fixtures/reference.json` (numpy, written from the definition with array
    /// slices): the inputs are on the 2^-10 grid, so every kernel response is exact in float32 and
    /// only the final interpolation rounds.
    @Test func matchesTheReferenceValues() throws {
        let cases = try InputFixtureCase.all()
        #expect(cases.count == 7)
        for c in cases {
            #expect(abs(c.score(NoiseFloor.score) - c.noiseFloor) <= 1e-12, "\(c.name)")
        }
    }

    /// Flat, linear and constant images have no floor at all; ±ε sign noise lifts it to about ε
    /// whatever lies beneath, black background or not.
    @Test func smoothImagesAreZeroAndSignNoiseLiftsTheFloorToEpsilon() {
        let ramp: [Float] = (0..<(16 * 16)).map { (i: Int) -> Float in Float(i / 16 + i % 16) / 64 }
        #expect(floor(ramp, 16, 16, 1) == 0)
        #expect(floor([Float](repeating: 0.4, count: 100), 10, 10, 1) == 0)
        var state: UInt32 = 7
        let noisy = ramp.map { v -> Float in
            state = state &* 1_664_525 &+ 1_013_904_223
            return v + (state >> 31 == 0 ? 0.05 : -0.05)
        }
        let f = floor(noisy, 16, 16, 1)
        #expect(f >= 0.05 && f <= 0.5, "\(f)")
    }

    /// The quantile is numpy's default: linear between the order statistics around `q(n − 1)`,
    /// whatever order the values come in, ties included.
    @Test func quantileInterpolatesBetweenOrderStatistics() {
        func q(_ v: [Float], _ p: Double) -> Double {
            var v = v
            return v.withUnsafeMutableBufferPointer { NoiseFloor.quantile($0, p) }
        }
        #expect(q([4, 1, 3, 2], 0.25) == 1.75)
        #expect(q([5, 5, 5, 1, 5], 0.25) == 5)
        #expect(q([9], 0.25) == 9)
        #expect(q([2, 0, 1], 0.5) == 1)
        var state: UInt32 = 3
        let values = (0..<1001).map { _ -> Float in
            state = state &* 1_664_525 &+ 1_013_904_223
            return Float(state >> 20)
        }
        let sorted = values.sorted()
        for p in [0.0, 0.1, 0.25, 0.5, 0.9, 1.0] {
            let position = p * 1000, lower = Int(position.rounded(.down))
            let expected = lower == 1000 ? Double(sorted[1000]) : Double(sorted[lower]) + (Double(sorted[lower + 1]) - Double(sorted[lower])) * (position - Double(lower))
            #expect(q(values, p) == expected)
        }
    }

    /// Too small to have an interior pixel: 0, and no read out of bounds.
    @Test func imagesBelowThreeByThreeHaveNoFloor() {
        #expect(floor([1, 0, 1, 0], 2, 2, 1) == 0)
        #expect(floor([Float](repeating: 1, count: 9), 1, 9, 1) == 0)
    }
}
