import CDirectConv
import CInt8GEMM
import Testing
import TangleNetwork
import TangleTensor

@Suite struct QuantizedConvolutionTests {
    /// Every kernel this processor has (VNNI, AVX2, plain C) gives the same floats, and they are
    /// the exact integer sums scaled by one fused multiply-add, tile edges included. (Each level is
    /// checked against the exact sums, so the test means something on any processor.)
    @Test func kernelsAgreeWithTheExactSums() {
        KernelLevels.holding { kernelsAgreeWithTheExactSumsHolding() }
    }

    private func kernelsAgreeWithTheExactSumsHolding() {
        var rng = SeededGenerator(seed: 3)
        for (m, k, n) in [(13, 8, 40), (6, 800, 64), (1, 4, 16), (7, 36, 70), (20, 100, 128), (5, 12, 3)] {
            let a = (0..<(m * k)).map { _ in UInt8(Int(rng.nextFloat(in: 0, 255.99))) }
            let b = (0..<(k * n)).map { _ in Int8(Int(rng.nextFloat(in: -127.99, 127.99))) }
            let rs = (0..<m).map { _ in rng.nextFloat(in: 0, 0.01) }
            let cs = (0..<n).map { _ in rng.nextFloat(in: 0, 0.01) }
            let bias = (0..<n).map { _ in rng.nextFloat(in: -20, 20) }
            var packed = [Int8](repeating: 0, count: Int(tangle_qgemm_packed_bytes(Int64(k), Int64(n))))
            tangle_qgemm_pack(b, Int64(k), Int64(n), &packed)
            for relu: Int32 in [0, 1] {
                var expected = [Float](repeating: 0, count: m * n)
                for i in 0..<m {
                    for j in 0..<n {
                        var acc: Int32 = 0
                        for t in 0..<k { acc += Int32(a[i * k + t]) * Int32(b[t * n + j]) }
                        let v = bias[j].addingProduct(Float(acc), rs[i] * cs[j])
                        expected[i * n + j] = relu != 0 && !(v > 0) ? 0 : v
                    }
                }
                for level in [KernelLevels.widest, KernelLevels.avx2, KernelLevels.plainC] {
                    // One spare column past n in every row: kernels must not write it.
                    var c = [Float](repeating: -7, count: m * (n + 1))
                    KernelLevels.at(level) { tangle_qgemm(a, Int64(k), Int64(m), Int64(k), packed, Int64(n), rs, cs, bias, relu, &c, Int64(n + 1)) }
                    for i in 0..<m {
                        #expect(Array(c[(i * (n + 1))..<(i * (n + 1) + n)]) == Array(expected[(i * n)..<((i + 1) * n)]), "m \(m) k \(k) n \(n) level \(level)")
                        #expect(c[i * (n + 1) + n] == -7)
                    }
                }
            }
        }
    }

    /// Quantization and im2col of one small image: values on the image's own 255-step grid,
    /// zero borders, rows in (ky, kx, c) order padded to a multiple of 4 with zeros.
    @Test func quantizeIm2colRoundsOnTheImagesScale() {
        // 3x3 image, 2 channels; kernel 2, stride 1, no padding: 2x2 outputs, patch 8.
        let image: [Float] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17].map { $0 / 17 * 3 }
        var padded = [UInt8](repeating: 9, count: 18)
        var rows = [UInt8](repeating: 9, count: 4 * 8)
        let s = tangle_quantize_im2col(image, 3, 3, 2, 2, 1, 0, 0, 2, 2, &padded, 3, 3, &rows, 8)
        #expect(abs(s - 3 / 255) < 1e-7)
        let q = (0..<18).map { UInt8((Float($0) / 17 * 255).rounded()) }
        #expect(Array(rows[0..<8]) == [q[0], q[1], q[2], q[3], q[6], q[7], q[8], q[9]])
        #expect(Array(rows[24..<32]) == [q[8], q[9], q[10], q[11], q[14], q[15], q[16], q[17]])
        // An all-zero (or all-negative) image has scale 0 and all-zero rows.
        let zero = [Float](repeating: -1, count: 18)
        #expect(tangle_quantize_im2col(zero, 3, 3, 2, 2, 1, 0, 0, 2, 2, &padded, 3, 3, &rows, 8) == 0)
        #expect(rows.allSatisfy { $0 == 0 })
        // A 1x1 kernel (a projected row): the row itself, rounded, zero-padded to a multiple of 4.
        let row: [Float] = [0, 0.5, 2, -1, .nan, 1.25]
        var one = [UInt8](repeating: 9, count: 8)
        let s1 = tangle_quantize_im2col(row, 1, 1, 6, 1, 1, 0, 0, 1, 1, &padded, 1, 1, &one, 8)
        #expect(s1 == Float(2) / 255)
        #expect(one == [0, 64, 255, 0, 0, 159, 0, 0])
    }

    /// In the reference architecture only `conv2` runs in 8 bits (conv1's patch is 25 values).
    @Test func onlyWideConvolutionsAfterAReLURunInInt8() throws {
        let net = try Network(architecture: .reference(), seed: 1)
        let chosen = net.layers.indices.filter { Arithmetic.int8.runsInInt8($0, of: net) }.map { net.layers[$0].spec.name }
        #expect(chosen == ["conv2"])
        #expect(net.layers.indices.allSatisfy { !Arithmetic.float32.runsInInt8($0, of: net) })
        let linear = Architecture(
            input: Shape3(height: 8, width: 8, channels: 4),
            layers: [.conv2d("a", filters: 16, kernel: 3, activation: .linear), .conv2d("b", filters: 16, kernel: 3), .dense("out", units: 2)])
        let l = try Network(architecture: linear, seed: 1)
        // "b" has a 144-value patch but its input can be negative.
        #expect(l.layers.indices.allSatisfy { !Arithmetic.int8.runsInInt8($0, of: l) })
    }

    /// The 8-bit forward pass stays close to float32: every representation within a few percent.
    @Test func int8ForwardStaysCloseToFloat32() throws {
        let net = try Network(architecture: .reference(), seed: 4)
        var rng = SeededGenerator(seed: 8)
        for e in net.layout.entries where e.name.hasSuffix(".bias") {
            for i in 0..<e.count { net.parameters[e.offset + i] = rng.nextFloat(in: -0.05, 0.05) }
        }
        let n = 9
        let images = (0..<(n * 784)).map { _ in rng.nextFloat(in: 0, 1) }
        func run(_ a: Arithmetic) -> Workspace {
            let ws = Workspace(network: net, capacity: n, trainable: false, arithmetic: a)
            images.withUnsafeBufferPointer { ws.input.pointer.update(from: $0.baseAddress!, count: $0.count) }
            net.forward(ws, count: n)
            return ws
        }
        let f = run(.float32), q = run(.int8)
        for name in ["conv2", "pool2", "fc1", "logits"] {
            let i = try net.representationIndex(name)
            let count = n * (try net.representationSize(name))
            var diff = 0.0, norm = 0.0
            for j in 0..<count {
                let a = Double(f.activation(i)[j]), b = Double(q.activation(i)[j])
                diff += (a - b) * (a - b)
                norm += a * a
            }
            #expect(norm > 0)
            #expect((diff / norm).squareRoot() < 0.03, "\(name): relative error \((diff / norm).squareRoot())")
            #expect(diff > 0, "\(name) should differ a little: was the 8-bit path taken?")
        }
        // conv1 stays float32 (computed directly): equal up to the order of the sums.
        let c1 = try net.representationIndex("pool1")
        #expect((0..<(n * 6272)).allSatisfy { abs(f.activation(c1)[$0] - q.activation(c1)[$0]) <= 1e-5 * max(1, abs(f.activation(c1)[$0])) })
    }

    /// The direct convolution: the AVX-512 and AVX2 kernels give the same floats as plain C, and
    /// these match the im2col/GEMM layer up to rounding, for odd widths, strides, channels and
    /// filter counts.
    @Test(.enabled(if: KernelLevels.hasAVX512, KernelLevels.needsAVX512)) func avx512DirectConvolutionEqualsPlainCAndTheLayer() throws {
        try directConvolutionMatchesTheLayer(level: KernelLevels.widest)
    }

    @Test(.enabled(if: KernelLevels.hasAVX2, KernelLevels.needsAVX2)) func avx2DirectConvolutionEqualsPlainCAndTheLayer() throws {
        try directConvolutionMatchesTheLayer(level: KernelLevels.avx2)
    }

    func directConvolutionMatchesTheLayer(level: Int32) throws {
        var rng = SeededGenerator(seed: 21)
        for (h, w, c, f, k, stride, padding) in [
            (28, 28, 1, 32, 5, 1, LayerSpec.Padding.same), (9, 7, 3, 20, 3, 2, .same), (10, 11, 2, 48, 3, 1, .valid), (6, 6, 1, 5, 1, 1, .same),
        ] {
            let arch = Architecture(
                input: Shape3(height: h, width: w, channels: c), layers: [.conv2d("c", filters: f, kernel: k, stride: stride, padding: padding)])
            let net = try Network(architecture: arch, seed: 3)
            for e in net.layout.entries where e.name.hasSuffix(".bias") {
                for i in 0..<e.count { net.parameters[e.offset + i] = rng.nextFloat(in: -0.2, 0.2) }
            }
            let n = 3
            let images = (0..<(n * h * w * c)).map { _ in rng.nextFloat(in: 0, 1) }
            let conv = net.layers[0] as! Conv2DLayer
            let direct = DirectConvolution(layer: conv, parameters: net.parameters.pointer)
            let scratch = UnsafeMutableRawPointer.allocate(byteCount: direct.scratchBytes, alignment: 64)
            defer { scratch.deallocate() }
            func run(level: Int32) -> [Float] {
                var out = [Float](repeating: -1, count: n * conv.outputShape.size)
                KernelLevels.at(level) {
                    images.withUnsafeBufferPointer { i in out.withUnsafeMutableBufferPointer { direct.forward(input: i.baseAddress!, output: $0.baseAddress!, count: n, scratch: scratch) } }
                }
                return out
            }
            let (simd, plain) = KernelLevels.holding { (run(level: level), run(level: KernelLevels.plainC)) }
            #expect(simd == plain, "\(h)x\(w)x\(c), \(f) filters, stride \(stride)")
            let ws = Workspace(network: net, capacity: n, trainable: false)
            images.withUnsafeBufferPointer { ws.input.pointer.update(from: $0.baseAddress!, count: $0.count) }
            net.forward(ws, count: n)
            #expect((0..<plain.count).allSatisfy { abs(plain[$0] - ws.logits[$0]) <= 1e-5 * max(1, abs(plain[$0])) })
            #expect(plain.contains { $0 > 0 } && plain.contains { $0 == 0 })
        }
    }

    /// The judging max-pool gives exactly the layer's values (ties, ragged edges and channel
    /// counts that are not a multiple of 16 included), on every kernel this processor has.
    @Test func directMaxPoolEqualsTheLayer() throws {
        try KernelLevels.holding { try directMaxPoolEqualsTheLayerHolding() }
    }

    private func directMaxPoolEqualsTheLayerHolding() throws {
        var rng = SeededGenerator(seed: 5)
        for (h, w, c) in [(28, 28, 32), (7, 9, 3), (14, 14, 64), (5, 5, 17)] {
            let net = try Network(architecture: Architecture(input: Shape3(height: h, width: w, channels: c), layers: [.maxpool("p")]), seed: 1)
            let n = 2
            // Values on a coarse grid, so windows have ties.
            let images = (0..<(n * h * w * c)).map { _ in Float(Int(rng.nextFloat(in: 0, 4))) - 1 }
            let ws = Workspace(network: net, capacity: n, trainable: false)
            images.withUnsafeBufferPointer { ws.input.pointer.update(from: $0.baseAddress!, count: $0.count) }
            net.forward(ws, count: n)
            let pool = DirectMaxPool(layer: net.layers[0] as! MaxPoolLayer)
            for level in [KernelLevels.widest, KernelLevels.avx2, KernelLevels.plainC] {
                var out = [Float](repeating: .nan, count: n * net.layers[0].outputShape.size)
                KernelLevels.at(level) {
                    images.withUnsafeBufferPointer { i in
                        out.withUnsafeMutableBufferPointer { pool.forward(input: i.baseAddress!, output: $0.baseAddress!, count: n, scratch: UnsafeMutableRawPointer(ws.scratch[0].pointer)) }
                    }
                }
                #expect(out == Array(UnsafeBufferPointer(start: ws.logits.pointer, count: out.count)), "\(h)x\(w)x\(c) forced level \(level)")
            }
        }
    }
}
