import CKernelLevel
import CRowGEMM
import Testing
import TangleNetwork
import TangleTensor

/// The fixed-order float32 products that make judging batch-invariant.
@Suite struct RowGEMMTests {
    /// The same chain in plain Swift: one fused multiply-add per term in `p` order from 0, then the
    /// bias, then ReLU.
    static func chain(_ a: [Float], _ b: [Float], m: Int, k: Int, n: Int, bias: [Float]?, relu: Bool) -> [Float] {
        var c = [Float](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var acc: Float = 0
                for p in 0..<k { acc = acc.addingProduct(a[i * k + p], b[p * n + j]) }
                let v = acc + (bias?[j] ?? 0)
                c[i * n + j] = relu && !(v > 0) ? 0 : v
            }
        }
        return c
    }

    /// The 16-lane dot product with its pairwise lane sum, in plain Swift.
    static func dot(_ x: ArraySlice<Float>, _ y: ArraySlice<Float>) -> Float {
        var lanes = [Float](repeating: 0, count: 16)
        let (x, y) = (Array(x), Array(y))
        var p = 0
        while p < x.count {
            for l in 0..<16 {
                let u: Float = p + l < x.count ? x[p + l] : 0, v: Float = p + l < x.count ? y[p + l] : 0
                lanes[l] = lanes[l].addingProduct(u, v)
            }
            p += 16
        }
        for w in [8, 4, 2, 1] { for l in 0..<w { lanes[l] = lanes[l] + lanes[l + w] } }
        return lanes[0]
    }

    /// `count` values uniform in [-1, 1).
    static func uniform(_ count: Int, _ rng: inout SeededGenerator) -> [Float] { (0..<count).map { _ in rng.nextFloat(in: -1, 1) } }

    /// Tile edges in every direction, and more rows of `b` than one packed block holds (256).
    static let shapes = [
        (1, 1, 1), (13, 8, 40), (6, 800, 64), (1, 1024, 256), (7, 36, 70), (20, 100, 128), (9, 12, 3), (3, 0, 17), (17, 17, 33), (11, 600, 50),
    ]

    /// Every kernel level (AVX-512, AVX2, plain C) gives exactly the plain chain's floats, tile
    /// edges included, and never writes past a row.
    @Test func gemmIsTheFixedChainAtEveryLevel() {
        var rng = SeededGenerator(seed: 4)
        tangle_kernels_hold(0)
        defer { tangle_kernels_release() }
        for (m, k, n) in Self.shapes {
            let (a, b, bias) = (Self.uniform(m * k, &rng), Self.uniform(k * n, &rng), Self.uniform(n, &rng))
            for (withBias, relu) in [(false, false), (true, true), (true, false)] {
                let expected = Self.chain(a, b, m: m, k: k, n: n, bias: withBias ? bias : nil, relu: relu)
                var packed = [Float](repeating: .nan, count: Int(tangle_row_gemm_packed_count(Int64(k), Int64(n))))
                tangle_row_gemm_pack(b, Int64(n), Int64(k), Int64(n), &packed)
                for level: Int32 in [0, 1, 2] {
                    tangle_kernels_force(level)
                    for usePacked in [false, true] {
                        var c = [Float](repeating: -7, count: m * (n + 1))
                        bias.withUnsafeBufferPointer { bp in
                            let bias = withBias ? bp.baseAddress : nil
                            if usePacked {
                                tangle_row_gemm_packed(a, Int64(k), Int64(m), Int64(k), packed, Int64(n), bias, relu ? 1 : 0, &c, Int64(n + 1))
                            } else {
                                tangle_row_gemm(a, Int64(k), Int64(m), Int64(k), b, Int64(n), Int64(n), bias, relu ? 1 : 0, &c, Int64(n + 1))
                            }
                        }
                        for i in 0..<m {
                            #expect(
                                Array(c[(i * (n + 1))..<(i * (n + 1) + n)]) == Array(expected[(i * n)..<((i + 1) * n)]),
                                "m \(m) k \(k) n \(n) level \(level) packed \(usePacked)")
                            #expect(c[i * (n + 1) + n] == -7)
                        }
                    }
                }
            }
        }
    }

    /// The dot products are the 16-lane chains with the fixed pairwise sum, at every level.
    @Test func dotsAreTheFixedChainAtEveryLevel() {
        var rng = SeededGenerator(seed: 6)
        tangle_kernels_hold(0)
        defer { tangle_kernels_release() }
        for (m, k, n) in Self.shapes {
            let (a, b) = (Self.uniform(m * k, &rng), Self.uniform(n * k, &rng))
            var expected = [Float](repeating: 0, count: m * n)
            for i in 0..<m { for j in 0..<n { expected[i * n + j] = -2 * Self.dot(a[(i * k)..<((i + 1) * k)], b[(j * k)..<((j + 1) * k)]) } }
            for level: Int32 in [0, 1, 2] {
                tangle_kernels_force(level)
                var c = [Float](repeating: -7, count: m * n)
                tangle_row_dots(a, Int64(k), Int64(m), b, Int64(k), Int64(n), Int64(k), -2, &c, Int64(n))
                #expect(c == expected, "m \(m) k \(k) n \(n) level \(level)")
            }
        }
    }

    /// A row's outputs are the same bits alone, among others, and at any position.
    @Test func rowsDoNotDependOnTheirNeighbours() {
        var rng = SeededGenerator(seed: 9)
        let (m, k, n) = (37, 300, 45)
        let (a, b) = (Self.uniform(m * k, &rng), Self.uniform(k * n, &rng))
        var all = [Float](repeating: 0, count: m * n)
        tangle_row_gemm(a, Int64(k), Int64(m), Int64(k), b, Int64(n), Int64(n), nil, 0, &all, Int64(n))
        var dotsAll = [Float](repeating: 0, count: m * n)
        let bt = (0..<(n * k)).map { b[($0 % k) * n + $0 / k] }
        tangle_row_dots(a, Int64(k), Int64(m), bt, Int64(k), Int64(n), Int64(k), 1, &dotsAll, Int64(n))
        for i in 0..<m {
            var one = [Float](repeating: 0, count: n), dotsOne = [Float](repeating: 0, count: n)
            Array(a[(i * k)..<((i + 1) * k)]).withUnsafeBufferPointer { row in
                tangle_row_gemm(row.baseAddress!, Int64(k), 1, Int64(k), b, Int64(n), Int64(n), nil, 0, &one, Int64(n))
                tangle_row_dots(row.baseAddress!, Int64(k), 1, bt, Int64(k), Int64(n), Int64(k), 1, &dotsOne, Int64(n))
            }
            #expect(one == Array(all[(i * n)..<((i + 1) * n)]), "row \(i)")
            #expect(dotsOne == Array(dotsAll[(i * n)..<((i + 1) * n)]), "row \(i)")
        }
    }

    /// Judging's network gives an image the same activations, every layer, whatever the batch:
    /// in float32 (direct convolutions, fixed-order dense layers) and in 8 bits.
    @Test(arguments: [Arithmetic.float32, .int8])
    func forwardPassDoesNotDependOnTheBatch(arithmetic: Arithmetic) throws {
        let arch = Architecture(
            input: Shape3(height: 12, width: 12, channels: 3),
            layers: [
                .conv2d("conv1", filters: 8, kernel: 3), .maxpool("pool1"), .conv2d("conv2", filters: 24, kernel: 3), .maxpool("pool2"),
                .dense("fc1", units: 40), .dense("fc2", units: 17), .dense("logits", units: 5, activation: .linear),
            ])
        let net = try Network(architecture: arch, seed: 2)
        var rng = SeededGenerator(seed: 1)
        let count = 150, size = arch.input.size
        let x = (0..<(count * size)).map { _ in rng.nextFloat(in: 0, 1) }
        func run(_ batch: Int, reversed: Bool) -> [[Float]] {
            let ws = Workspace(network: net, capacity: batch, trainable: false, arithmetic: arithmetic, batchInvariant: true)
            var out = [[Float]](repeating: [], count: count)
            var start = 0
            while start < count {
                let n = min(batch, count - start)
                for i in 0..<n {
                    let image = reversed ? count - 1 - (start + i) : start + i
                    x.withUnsafeBufferPointer { (ws.input.pointer + i * size).update(from: $0.baseAddress! + image * size, count: size) }
                }
                net.forward(ws, count: n)
                for i in 0..<n {
                    let image = reversed ? count - 1 - (start + i) : start + i
                    out[image] = (1...net.layers.count).flatMap { l in
                        let w = net.layers[l - 1].outputShape.size
                        return Array(UnsafeBufferPointer(start: ws.activation(l).pointer + i * w, count: w))
                    }
                }
                start += n
            }
            return out
        }
        let alone = run(1, reversed: false)
        for batch in [7, 32, 150] {
            for reversed in [false, true] {
                let differing = zip(run(batch, reversed: reversed), alone).filter { $0 != $1 }.count
                #expect(differing == 0, "batch \(batch)\(reversed ? ", reversed" : ""): images whose activations differ")
            }
        }
        // The judging pass is the network's own, up to rounding.
        let plain = Workspace(network: net, capacity: count, trainable: false)
        x.withUnsafeBufferPointer { plain.input.pointer.update(from: $0.baseAddress!, count: count * size) }
        net.forward(plain, count: count)
        let logits = Array(UnsafeBufferPointer(start: plain.logits.pointer, count: count * 5))
        let judged = alone.flatMap { $0.suffix(5) }
        let tolerance: Float = arithmetic == .int8 ? 0.05 : 1e-4
        let worst = zip(logits, judged).map { abs($0 - $1) / max(1, abs($0)) }.max()!
        #expect(worst < tolerance, "largest relative logit difference \(worst)")
        #expect(worst > 0 || arithmetic == .float32, "8-bit judging is not float32")
    }
}
