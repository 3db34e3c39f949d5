import Foundation
import Testing
@testable import TangleDkNN

@Suite struct FramingTests {
    func framing(_ x: [Float], _ h: Int, _ w: Int, _ c: Int = 1) -> Framing { measured(x, h, w, c, by: Framing.measure) }

    /// Every case of `Tests/Fixtures/reference.json` (numpy, from the definition with reductions).
    @Test func matchesTheReferenceValues() throws {
        let cases = try InputFixtureCase.all()
        #expect(cases.count == 7)
        for c in cases {
            let f = c.score(Framing.measure)
            #expect(abs(f.edgeToEdge - c.edgeToEdge) <= 1e-15, "\(c.name) edge to edge")
            #expect(abs(f.spanShortfall - c.spanShortfall) <= 1e-15, "\(c.name) span shortfall")
        }
        #expect(cases.contains { $0.edgeToEdge > 0.3 && $0.edgeToEdge < 0.5 }, "the letterboxed band crosses 11 of 28 rows")
    }

    /// A band letterboxed onto black crosses every row it covers; pillarboxed, every column; a
    /// garment-like shape crosses only the columns its body fills from collar to hem, and fills the
    /// frame on its long side.
    @Test func letterboxBandsCrossTheFrameAndGarmentsDoNot() {
        var band = [Float](repeating: 0, count: 28 * 28)
        for y in 8..<20 { for x in 0..<28 { band[y * 28 + x] = 0.1 + Float((y * 28 + x) % 7) / 10 } }
        #expect(framing(band, 28, 28) == Framing(edgeToEdge: 12.0 / 28, spanShortfall: 0))
        var pillar = [Float](repeating: 0, count: 28 * 28)
        for y in 0..<28 { for x in 10..<16 { pillar[y * 28 + x] = 0.5 } }
        #expect(framing(pillar, 28, 28) == Framing(edgeToEdge: 6.0 / 28, spanShortfall: 0))
        // A "T-shirt": sleeves across rows 0–6 from column 1 to 26, a body below from column 7 to 20.
        var shirt = [Float](repeating: 0, count: 28 * 28)
        for y in 0..<9 { for x in 1..<27 { shirt[y * 28 + x] = 0.6 } }
        for y in 9..<28 { for x in 7..<21 { shirt[y * 28 + x] = 0.6 } }
        let f = framing(shirt, 28, 28)
        #expect(f == Framing(edgeToEdge: 14.0 / 28, spanShortfall: 0), "\(f)")
    }

    /// A digit written in a 20-pixel box leaves the frame's margin empty; an empty image has no
    /// content at all; a pixel is content at any channel above the level, and only above it.
    @Test func smallObjectsEmptyFramesAndChannels() {
        var digit = [Float](repeating: 0, count: 28 * 28)
        for y in 4..<24 { digit[y * 28 + 13] = 1 }  // a "1", 20 pixels tall
        for x in 10..<16 { digit[23 * 28 + x] = 0.8 }
        let f = framing(digit, 28, 28)
        #expect(f.edgeToEdge == 0 && abs(f.spanShortfall - 8.0 / 28) < 1e-15)
        #expect(framing([Float](repeating: 0, count: 64), 8, 8) == Framing(edgeToEdge: 0, spanShortfall: 1))
        #expect(framing([Float](repeating: Framing.level, count: 64), 8, 8) == Framing(edgeToEdge: 0, spanShortfall: 1), "at the level is background")
        // Two channels, 2x3: every pixel bright in one channel or the other.
        let twoChannels: [Float] = [0.5, 0, 0, 0.5, 0.5, 0, 0, 0.5, 0.5, 0, 0, 0.03]
        #expect(framing(twoChannels, 2, 3, 2) == Framing(edgeToEdge: 1, spanShortfall: 0))
        #expect(framing([], 0, 0) == Framing(edgeToEdge: 0, spanShortfall: 1))
    }
}
