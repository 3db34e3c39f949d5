import Testing
import TangleTensor

@testable import TangleTraining

@Suite struct AugmentationTests {
    /// Two 3x4 two-channel images whose values name their pixel: 100 y + 10 x + c + 1.
    func images() -> [Float] {
        var out: [Float] = []
        for n in 0..<2 {
            for y in 0..<3 {
                for x in 0..<4 {
                    for c in 0..<2 { out.append(Float(1000 * n + 100 * y + 10 * x + c + 1)) }
                }
            }
        }
        return out
    }

    @Test("A flip mirrors every row, channels kept together; a crop shifts and fills with zeros; nothing else changes")
    func transforms() {
        var x = images()
        var rng = SeededGenerator(seed: 1)
        Augmentation(cropPadding: 0, flip: true).apply(&x, count: 2, height: 3, width: 4, channels: 2, rng: &rng)
        let original = images()
        for n in 0..<2 {
            let flipped = (0..<24).allSatisfy { x[n * 24 + $0] == original[n * 24 + $0] }
            var mirrored = true
            for r in 0..<3 {
                for i in 0..<4 {
                    for c in 0..<2 where x[n * 24 + (r * 4 + i) * 2 + c] != original[n * 24 + (r * 4 + 3 - i) * 2 + c] { mirrored = false }
                }
            }
            #expect(flipped || mirrored)
        }
        // Shifts: every value is 0 or one of the image's own, and the multiset of non-zero values is a subset.
        var y = images()
        Augmentation(cropPadding: 1, flip: false).apply(&y, count: 2, height: 3, width: 4, channels: 2, rng: &rng)
        for n in 0..<2 {
            let own = Set(original[(n * 24)..<((n + 1) * 24)])
            #expect(y[(n * 24)..<((n + 1) * 24)].allSatisfy { $0 == 0 || own.contains($0) })
        }
    }

    @Test("The same seed augments the same way; another seed does not")
    func seeded() {
        var a = [Float](repeating: 0, count: 64 * 8 * 8)
        for i in a.indices { a[i] = Float(i % 97) }
        var b = a, c = a
        var r1 = SeededGenerator(seed: 5), r2 = SeededGenerator(seed: 5), r3 = SeededGenerator(seed: 6)
        Augmentation().apply(&a, count: 64, height: 8, width: 8, channels: 1, rng: &r1)
        Augmentation().apply(&b, count: 64, height: 8, width: 8, channels: 1, rng: &r2)
        Augmentation().apply(&c, count: 64, height: 8, width: 8, channels: 1, rng: &r3)
        #expect(a == b)
        #expect(a != c)
        #expect(Augmentation().record == ["random crop with 4-pixel zero padding", "horizontal flip, p = 0.5"])
    }
}
