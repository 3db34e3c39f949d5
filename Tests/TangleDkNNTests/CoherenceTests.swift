import Foundation
import Testing
@testable import TangleDkNN

@Suite struct CoherenceTests {
    func coherence(_ x: [Float], _ h: Int, _ w: Int, _ c: Int) -> Double { measured(x, h, w, c, by: Coherence.score) }

    /// Every case of `Tests/Fixtures/reference.json` (numpy, from the definition with reshapes).
    @Test func matchesTheReferenceValues() throws {
        let cases = try InputFixtureCase.all()
        #expect(cases.count == 7)
        for c in cases {
            #expect(abs(c.score(Coherence.score) - c.coherence) <= 1e-12, "\(c.name)")
        }
    }

    /// Structure at the block scale keeps all of its variance, noise within blocks none of it; an
    /// object under strong sign noise keeps far more than the same pixels shuffled.
    @Test func blocksKeepStructureAndLoseNoise() {
        // Every 4x4 block constant: the block means vary exactly as the pixels do.
        let blocky: [Float] = (0..<(16 * 16)).map { (i: Int) -> Float in Float(((i / 16) / 4 + (i % 16) / 4) % 3) / 2 }
        #expect(abs(coherence(blocky, 16, 16, 1) - 1) < 1e-12)
        // A checkerboard: every block mean the same, no variance left at the block scale.
        let checker: [Float] = (0..<(16 * 16)).map { (i: Int) -> Float in ((i / 16) + (i % 16)) % 2 == 0 ? 1 : 0 }
        #expect(coherence(checker, 16, 16, 1) < 1e-12)
        // A bright square on black under ±0.3 sign noise, against the same pixels shuffled.
        var state: UInt32 = 11
        func next() -> UInt32 {
            state = state &* 1_664_525 &+ 1_013_904_223
            return state
        }
        var attacked = [Float](repeating: 0, count: 28 * 28)
        for y in 6..<22 { for x in 6..<22 { attacked[y * 28 + x] = 0.8 } }
        attacked = attacked.map { min(max($0 + (next() >> 31 == 0 ? 0.3 : -0.3), 0), 1) }
        var shuffled = attacked
        for i in stride(from: shuffled.count - 1, to: 0, by: -1) { shuffled.swapAt(i, Int(next() % UInt32(i + 1))) }
        let a = coherence(attacked, 28, 28, 1), s = coherence(shuffled, 28, 28, 1)
        #expect(a > 0.3 && s < 0.15, "attacked \(a), shuffled \(s)")
    }

    /// Nothing to tell: no pixel variance, or fewer than two whole blocks.
    @Test func degenerateImagesAreCoherent() {
        #expect(coherence([Float](repeating: 0.3, count: 64), 8, 8, 1) == 1)
        #expect(coherence((0..<16).map { Float($0) }, 4, 4, 1) == 1)
        #expect(coherence((0..<12).map { Float($0) }, 3, 4, 1) == 1)
    }
}
