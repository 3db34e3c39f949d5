import CKernelLevel
import CLayerPasses
import Testing
import TangleNetwork
import TangleTensor

/// Training's memory-bound passes (CLayerPasses: im2col, col2im, 2x2 max-pool backward, ReLU):
/// every kernel level gives the same floats, bit for bit, and the plain C kernels do what a
/// straightforward loop written here does.
@Suite struct LayerPassesTests {
    /// A whole training step (forward and backward, input gradient included) through convolutions
    /// and max-pools gives bit-identical activations and gradients at every kernel level: odd
    /// channel and filter counts, every register tile of the direct convolution, strides, valid
    /// padding and ties in the pooling windows included.
    @Test func aTrainingStepIsTheSameAtEveryKernelLevel() throws {
        let architectures = [
            Architecture(
                input: Shape3(height: 12, width: 12, channels: 3),
                layers: [
                    .conv2d("c1", filters: 17, kernel: 5), .maxpool("p1"), .conv2d("c2", filters: 33, kernel: 3), .maxpool("p2"),
                    .dense("out", units: 4, activation: .linear),
                ]),
            Architecture(
                input: Shape3(height: 9, width: 9, channels: 2),
                layers: [
                    .conv2d("c1", filters: 5, kernel: 3, stride: 2, padding: .valid), .conv2d("c2", filters: 16, kernel: 4),
                    .maxpool("p1"), .dense("out", units: 3, activation: .linear),
                ]),
            // 64-filter tiles (6 pixels wide, rows of 14 = 6 + 6 + 2) and a 64 + 6 split.
            Architecture(
                input: Shape3(height: 14, width: 14, channels: 2),
                layers: [
                    .conv2d("c1", filters: 64, kernel: 3), .maxpool("p1"), .conv2d("c2", filters: 70, kernel: 3),
                    .dense("out", units: 3, activation: .linear),
                ]),
        ]
        try KernelLevels.holding {
            for (a, arch) in architectures.enumerated() {
                let net = try Network(architecture: arch, seed: 3)
                var rng = SeededGenerator(seed: 11)
                let batch = 5
                // Inputs on a coarse grid, so pooling windows hold ties.
                let input = (0..<(batch * arch.input.size)).map { _ in Float(Int(rng.nextFloat(in: 0, 3))) / 2 }
                let projection = (0..<(batch * net.classCount)).map { _ in rng.nextFloat(in: -1, 1) }
                func step() -> [[Float]] {
                    let ws = Workspace(network: net, capacity: batch, trainable: true, inputGradient: true, workers: 2)
                    input.withUnsafeBufferPointer { ws.input.pointer.update(from: $0.baseAddress!, count: input.count) }
                    net.forward(ws, count: batch, zeroGradients: true)
                    for i in 0..<projection.count { ws.logitsGradient[i] = projection[i] }
                    net.backward(ws, count: batch, inputGradient: true)
                    let activations = (0...net.layers.count).map { ws.activations[$0].array }
                    return activations + [ws.parameterGradient.array, ws.gradients[0]!.array]
                }
                let plain = KernelLevels.at(KernelLevels.plainC) { step() }
                #expect(plain.last!.contains { $0 != 0 }, "architecture \(a): the input gradient is all zero")
                for level in [KernelLevels.widest, KernelLevels.avx2] {
                    let other = KernelLevels.at(level) { step() }
                    for (i, (x, y)) in zip(plain, other).enumerated() {
                        #expect(x.map(\.bitPattern) == y.map(\.bitPattern), "architecture \(a), buffer \(i), level \(level)")
                    }
                }
            }
        }
    }

    /// col2im is im2col's transpose: `<im2col(x), g> = <x, col2im(g)>` for any `g` (exact on small
    /// integers), with im2col written out here, on a strided, padded case.
    @Test func col2imIsTheTransposeOfIm2col() {
        let (h, w, c, k, s, pt, pl) = (5, 6, 2, 3, 2, 1, 1)
        let (oh, ow) = ((h + 2 * pt - k) / s + 1, (w + 2 * pl - k) / s + 1)
        let (ph, pw) = (h + 2 * pt, w + 2 * pl)
        let image = (0..<(h * w * c)).map { Float($0) + 0.5 }
        func at(_ y: Int, _ x: Int, _ ch: Int) -> Float { y < 0 || y >= h || x < 0 || x >= w ? 0 : image[(y * w + x) * c + ch] }
        let row = k * k * c
        var col: [Float] = []
        for oy in 0..<oh {
            for ox in 0..<ow {
                for ky in 0..<k { for kx in 0..<k { for ch in 0..<c { col.append(at(oy * s + ky - pt, ox * s + kx - pl, ch)) } } }
            }
        }
        let g = (0..<(oh * ow * row)).map { Float(($0 * 7) % 5) - 2 }
        var padded = [Float](repeating: .nan, count: ph * pw * c)
        KernelLevels.holding {
            for level in [KernelLevels.plainC, KernelLevels.widest] {
                var back = [Float](repeating: 3, count: h * w * c)
                KernelLevels.at(level) {
                    tangle_col2im(g, Int64(h), Int64(w), Int64(c), Int64(pt), Int64(pl), &padded, Int64(ph), Int64(pw), Int64(k), Int64(s), Int64(oh), Int64(ow), &back, 1)
                }
                let lhs = zip(col, g).reduce(Float(0)) { $0 + $1.0 * $1.1 }
                let rhs = zip(image, back).reduce(Float(0)) { $0 + $1.0 * ($1.1 - 3) }
                #expect(lhs == rhs, "level \(level)")
            }
        }
    }

    /// Max-pool backward routes each gradient to the first maximum of its window, zero elsewhere,
    /// and adds instead of writing when asked.
    @Test func maxPoolBackwardRoutesToTheFirstMaximum() {
        // One 2x2 window, three channels: maxima at (0,1) and (1,0) tied, at (1,1) alone, and none (NaN).
        let input: [Float] = [1, 0, .nan, 5, 0, 2, 5, 4, 2, 3, 9, 1]
        let pooled: [Float] = [5, 9, .nan]
        let gradient: [Float] = [10, 20, 30]
        var out = [Float](repeating: 7, count: 12)
        KernelLevels.holding {
            for level in [KernelLevels.plainC, KernelLevels.widest] {
                KernelLevels.at(level) {
                    tangle_maxpool2_backward(input, pooled, gradient, 2, 2, 3, &out, 0)
                    #expect(out == [0, 0, 0, 10, 0, 0, 0, 0, 0, 0, 20, 30], "level \(level)")
                    tangle_maxpool2_backward(input, pooled, gradient, 2, 2, 3, &out, 1)
                    #expect(out == [0, 0, 0, 20, 0, 0, 0, 0, 0, 0, 40, 60], "level \(level)")
                }
            }
        }
    }

    /// The Adam update is the same floats at every level, and those of the formula written out
    /// here in Swift (which fuses no multiply-add either).
    @Test func adamUpdateIsTheFormulaAtEveryLevel() {
        var rng = SeededGenerator(seed: 21)
        let n = 1000
        let p0 = (0..<n).map { _ in rng.nextFloat(in: -1, 1) }, g = (0..<n).map { _ in rng.nextFloat(in: -1, 1) }
        let m0 = (0..<n).map { _ in rng.nextFloat(in: -0.1, 0.1) }, v0 = (0..<n).map { _ in rng.nextFloat(in: 0, 0.01) }
        let (lr, b1, b2, eps, c1, c2): (Float, Float, Float, Float, Float, Float) = (1e-3, 0.9, 0.999, 1e-7, 0.271, 0.00299)
        var expected = (p0, m0, v0)
        for i in 0..<n {
            let mi = b1 * m0[i] + (1 - b1) * g[i]
            let vi = b2 * v0[i] + (1 - b2) * g[i] * g[i]
            expected.1[i] = mi
            expected.2[i] = vi
            expected.0[i] -= lr * (mi / c1) / ((vi / c2).squareRoot() + eps)
        }
        KernelLevels.holding {
            for level in [KernelLevels.plainC, KernelLevels.avx2, KernelLevels.widest] {
                var (p, m, v) = (p0, m0, v0)
                KernelLevels.at(level) { tangle_adam_update(&p, g, &m, &v, Int64(n), lr, b1, b2, eps, c1, c2) }
                #expect(p.map(\.bitPattern) == expected.0.map(\.bitPattern), "level \(level): parameters")
                #expect(m.map(\.bitPattern) == expected.1.map(\.bitPattern) && v.map(\.bitPattern) == expected.2.map(\.bitPattern), "level \(level): moments")
            }
        }
    }
}
