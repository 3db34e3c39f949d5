import Testing
import TangleNetwork
import TangleTensor

/// Every layer's backward pass against central finite differences.
@Suite struct LayerGradientTests {
    static let architectures: [(String, Architecture)] = [
        (
            "dense relu + linear",
            Architecture(
                input: Shape3(height: 1, width: 1, channels: 6),
                layers: [.dense("fc1", units: 5), .dense("out", units: 3, activation: .linear)])
        ),
        (
            "conv same 5x5 on one channel + maxpool (the first layer of the reference)",
            Architecture(
                input: Shape3(height: 8, width: 8, channels: 1),
                layers: [.conv2d("conv1", filters: 4, kernel: 5), .maxpool("pool1"), .dense("out", units: 3, activation: .linear)])
        ),
        (
            "conv same 3x3 on several channels, ragged maxpool, dense",
            Architecture(
                input: Shape3(height: 7, width: 7, channels: 2),
                layers: [
                    .conv2d("c1", filters: 3, kernel: 3), .maxpool("p1"), .dense("d1", units: 5),
                    .dense("out", units: 3, activation: .linear),
                ])
        ),
        (
            "conv valid stride 2, linear activation, then conv same",
            Architecture(
                input: Shape3(height: 9, width: 9, channels: 2),
                layers: [
                    .conv2d("c1", filters: 3, kernel: 3, stride: 2, padding: .valid, activation: .linear),
                    .conv2d("c2", filters: 2, kernel: 3), .dense("out", units: 2, activation: .linear),
                ])
        ),
        (
            "conv same stride 2 with even kernel",
            Architecture(
                input: Shape3(height: 6, width: 6, channels: 2),
                layers: [.conv2d("c1", filters: 2, kernel: 4, stride: 2), .dense("out", units: 2, activation: .linear)])
        ),
    ]

    @Test(arguments: 0..<architectures.count)
    func backwardMatchesFiniteDifferences(_ index: Int) throws {
        let (name, arch) = Self.architectures[index]
        let check = try GradientCheck(architecture: arch)
        let (error, checked, skipped) = check.worstError()
        #expect(checked >= 10 && checked >= 3 * skipped, "\(name): \(checked) points checked, \(skipped) skipped at kinks")
        #expect(error < 5e-3, "\(name): worst relative error \(error)")
    }

    @Test func oneWorkerAndTwoWorkersAgree() throws {
        let arch = Self.architectures[2].1
        let a = try GradientCheck(architecture: arch, batch: 5, workers: 1)
        let b = try GradientCheck(architecture: arch, batch: 5, workers: 2)
        let (ga, xa) = a.analytic()
        let (gb, xb) = b.analytic()
        for (x, y) in zip(ga + xa, gb + xb) { #expect(abs(x - y) <= 1e-5 * max(1, abs(x))) }
    }

    @Test func maxPoolRoutesToTheFirstMaximumOnTies() throws {
        let arch = Architecture(
            input: Shape3(height: 2, width: 2, channels: 1),
            layers: [.maxpool("p"), .dense("out", units: 1, activation: .linear)])
        let net = try Network(architecture: arch, seed: 0)
        net.parameters[0] = 1  // kernel
        net.parameters[1] = 0  // bias
        let ws = Workspace(network: net, capacity: 1, trainable: true, inputGradient: true, workers: 1)
        for (i, v) in [Float(3), 7, 7, 1].enumerated() { ws.input[i] = v }
        net.forward(ws, count: 1, zeroGradients: true)
        #expect(ws.logits[0] == 7)
        ws.logitsGradient[0] = 1
        net.backward(ws, count: 1, inputGradient: true)
        #expect(ws.gradients[0]!.array == [0, 1, 0, 0])
    }
}

@Suite struct GradientCheckSelfTest {
    /// The check itself must be able to fail: a gradient 5 % off is caught on every architecture.
    @Test(arguments: 0..<LayerGradientTests.architectures.count)
    func aWrongGradientIsCaught(_ index: Int) throws {
        let check = try GradientCheck(architecture: LayerGradientTests.architectures[index].1)
        #expect(check.worstError(analyticScale: 1.05).error > 5e-3)
    }
}

@Suite struct AccumulateTests {
    /// With a representation's gradient marked as accumulated, the backward pass adds to what a
    /// loss put there; otherwise it overwrites whatever is in the buffer.
    /// (Index 2 is the input of a stride-1 convolution, whose input gradient is a direct
    /// transposed convolution.)
    @Test(arguments: 1..<5)
    func accumulatedBuffersAddAndOthersOverwrite(_ index: Int) throws {
        let arch = Architecture(
            input: Shape3(height: 6, width: 6, channels: 2),
            layers: [
                .conv2d("c1", filters: 3, kernel: 3), .maxpool("p1"), .conv2d("c2", filters: 4, kernel: 3), .dense("d1", units: 4),
                .dense("out", units: 2, activation: .linear),
            ])
        let net = try Network(architecture: arch, seed: 2)
        // The layer that produced the representation applies its ReLU mask to this buffer in place.
        var active: [Bool] = []
        func run(accumulate: Bool, prefill: Float) -> [Float] {
            let ws = Workspace(network: net, capacity: 3, trainable: true, workers: 2)
            if accumulate { ws.accumulatedGradients = [index] }
            for i in 0..<(3 * 72) { ws.input[i] = Float((i * 37) % 101) / 101 }
            net.forward(ws, count: 3, zeroGradients: true)
            let relu = net.layers[index - 1].spec.activation == .relu
            active = ws.activation(index).array.map { !relu || $0 > 0 }
            let g = ws.gradients[index]!
            for i in 0..<g.count { g[i] += prefill }
            for i in 0..<6 { ws.logitsGradient[i] = Float(i) - 2.5 }
            net.backward(ws, count: 3)
            return g.array
        }
        let plain = run(accumulate: false, prefill: 0)
        let overwritten = run(accumulate: false, prefill: 7)
        let added = run(accumulate: true, prefill: 0.5)
        #expect(plain == overwritten)
        #expect(active.contains(true))
        for (i, (a, p)) in zip(added, plain).enumerated() { #expect(abs(a - (p + (active[i] ? 0.5 : 0))) < 1e-5) }
    }
}
