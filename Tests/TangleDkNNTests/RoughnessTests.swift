import Testing
@testable import TangleDkNN

@Suite struct RoughnessTests {
    /// A bright square on black, optionally with ±eps sign noise clipped to [0, 1].
    func image(eps: Float) -> [Float] {
        var x = [Float](repeating: 0, count: 28 * 28)
        for y in 8..<20 { for c in 8..<20 { x[y * 28 + c] = 0.9 } }
        var state: UInt32 = 12345
        for i in x.indices {
            state = state &* 1_664_525 &+ 1_013_904_223
            x[i] = min(max(x[i] + (state >> 31 == 0 ? eps : -eps), 0), 1)
        }
        return x
    }

    @Test func flatBlackIsSmoothAndNoiseRoughensTheBackground() {
        let clean = image(eps: 0), weak = image(eps: 0.03), strong = image(eps: 0.1)
        for p in Roughness.exponents {
            let r = { (x: [Float]) in x.withUnsafeBufferPointer { Roughness.score($0.baseAddress!, height: 28, width: 28, channels: 1, exponent: p) } }
            // The square's edge is bright, so its jump counts only by (1 − 0.9)^p.
            #expect(r(clean) < 48 * 0.9 * 0.1)
            #expect(r(weak) > r(clean))
            #expect(r(strong) > r(weak))
        }
        let black = [Float](repeating: 0, count: 16)
        #expect(black.withUnsafeBufferPointer { Roughness.score($0.baseAddress!, height: 4, width: 4, channels: 1, exponent: 2) } == 0)
    }
}
