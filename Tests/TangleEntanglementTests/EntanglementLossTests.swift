import Testing
import TangleEntanglement
import TangleNetwork
import TangleTensor

@Suite struct EntanglementLossTests {
    let arch = Architecture(
        input: Shape3(height: 6, width: 6, channels: 1),
        layers: [
            .conv2d("conv1", filters: 3, kernel: 3), .maxpool("pool1"), .dense("fc1", units: 6),
            .dense("logits", units: 3, activation: .linear),
        ])

    /// The total of the auxiliary term for a network, batch and labels.
    func total(_ net: Network, _ term: EntanglementLoss, _ x: [Float], _ labels: [Int32]) -> Double {
        let ws = Workspace(network: net, capacity: labels.count, trainable: true)
        x.withUnsafeBufferPointer { ws.input.pointer.update(from: $0.baseAddress!, count: x.count) }
        net.forward(ws, count: labels.count, zeroGradients: true)
        return labels.withUnsafeBufferPointer { term.apply(network: net, workspace: ws, labels: $0.baseAddress!, count: labels.count) }
    }

    @Test(arguments: SoftNearestNeighborLoss.Distance.allCases)
    func gradientThroughTheWholeNetworkMatchesFiniteDifferences(distance: SoftNearestNeighborLoss.Distance) throws {
        let net = try Network(architecture: arch, seed: 3)
        var rng = SeededGenerator(seed: 4)
        for e in net.layout.entries where e.name.hasSuffix(".bias") {
            for i in 0..<e.count { net.parameters[e.offset + i] = rng.nextFloat(in: 0.05, 0.2) }
        }
        let labels: [Int32] = [0, 1, 2, 0, 1, 2, 0, 1]
        let x = (0..<(labels.count * 36)).map { _ in rng.nextFloat(in: 0, 1) }
        let settings = EntanglementSettings(
            factor: -0.7, layers: ["pool1", "fc1"], distance: distance, temperatureMode: .fixed,
            temperature: distance == .cosine ? 0.5 : 2)
        let term = try EntanglementLoss(network: net, settings: settings, capacity: labels.count)
        let ws = Workspace(network: net, capacity: labels.count, trainable: true)
        ws.accumulatedGradients = Set(term.representationIndices)
        x.withUnsafeBufferPointer { ws.input.pointer.update(from: $0.baseAddress!, count: x.count) }
        net.forward(ws, count: labels.count, zeroGradients: true)
        _ = labels.withUnsafeBufferPointer { term.apply(network: net, workspace: ws, labels: $0.baseAddress!, count: labels.count) }
        net.backward(ws, count: labels.count)
        let analytic = ws.parameterGradient.array
        // Errors are relative to the gradient, floored at 1% of the largest one (float32 noise
        // on a gradient that is essentially zero is not an error).
        let floor = 1e-2 * Double(analytic.map { abs($0) }.max()!)
        var checked = 0, worst = 0.0
        for e in net.layout.entries where e.name.hasPrefix("conv1") || e.name.hasPrefix("fc1") {
            for k in 0..<min(6, e.count) {
                let i = e.offset + k
                let saved = net.parameters[i]
                var estimates: [Double] = []
                for eps: Float in [3e-3, 1e-3, 3e-4] {
                    net.parameters[i] = saved + eps
                    let up = total(net, term, x, labels)
                    net.parameters[i] = saved - eps
                    let down = total(net, term, x, labels)
                    net.parameters[i] = saved
                    estimates.append((up - down) / Double(2 * eps))
                }
                let best = estimates.map { abs($0 - Double(analytic[i])) / max(floor, abs($0) + abs(Double(analytic[i]))) }.min()!
                worst = max(worst, best)
                checked += 1
            }
        }
        #expect(checked >= 20)
        // Squared euclidean distances come from a float32 Gram matrix (cancellation in
        // ‖a‖² + ‖b‖² − 2a·b), so that case gets a looser bound.
        #expect(worst < (distance == .cosine ? 1e-2 : 3e-2), "\(distance): worst relative error \(worst)")
        #expect(term.record.finalTemperatures == [settings.temperature, settings.temperature])
    }

    @Test func outputLayerAndUnknownLayersAreRefused() throws {
        let net = try Network(architecture: arch, seed: 1)
        #expect(throws: EntanglementError.self) {
            try EntanglementLoss(network: net, settings: EntanglementSettings(factor: -1, layers: ["logits"]), capacity: 4)
        }
        #expect(throws: EntanglementError.self) {
            try EntanglementLoss(network: net, settings: EntanglementSettings(factor: -1, layers: ["fc9"]), capacity: 4)
        }
        #expect(throws: EntanglementError.self) {
            try EntanglementLoss(network: net, settings: EntanglementSettings(factor: -1, layers: ["fc1"], temperature: 0), capacity: 4)
        }
    }

    @Test func learnedTemperatureMovesAndScaledTemperatureFollowsTheLayer() throws {
        let net = try Network(architecture: arch, seed: 3)
        var rng = SeededGenerator(seed: 5)
        let labels: [Int32] = [0, 1, 2, 0, 1, 2, 0, 1]
        let x = (0..<(labels.count * 36)).map { _ in rng.nextFloat(in: 0, 1) }
        let learned = try EntanglementLoss(
            network: net, settings: EntanglementSettings(factor: -1, layers: ["fc1"], temperatureMode: .learned, temperature: 1),
            capacity: 8)
        _ = total(net, learned, x, labels)
        // The step the term took is one descent step on t (T = T0 / t) from the SNNL's temperature
        // gradient on fc1 at T0, and it lowers the SNNL there.
        let ws = Workspace(network: net, capacity: labels.count, trainable: false)
        x.withUnsafeBufferPointer { ws.input.pointer.update(from: $0.baseAddress!, count: x.count) }
        net.forward(ws, count: labels.count)
        let hidden = Array(ws.activation(try net.representationIndex("fc1")).array.prefix(labels.count * 6))
        let snnl = SoftNearestNeighborLoss(distance: .euclidean, capacity: labels.count, maxDimension: 6)
        func value(_ t: Double) -> (loss: Double, dTemperature: Double) {
            let v = hidden.withUnsafeBufferPointer { a in
                labels.withUnsafeBufferPointer { snnl.evaluate(a.baseAddress!, count: labels.count, dimension: 6, labels: $0.baseAddress!, temperature: t) }
            }
            return (v.loss, v.dTemperature)
        }
        // T0 = 1, t = 1: dLoss/dt = dLoss/dT · (−T0 / t²), t ← t − 0.1 · dLoss/dt.
        let expected = 1 / (1 + 0.1 * value(1).dTemperature)
        let moved = learned.temperatures[0]
        #expect(abs(moved - expected) <= 1e-6 * expected, "learned \(moved), one step gives \(expected)")
        #expect(abs(moved - 1) > 1e-4, "the step moves the temperature (\(moved))")
        #expect(value(moved).loss < value(1).loss)
        let scaled = try EntanglementLoss(
            network: net, settings: EntanglementSettings(factor: -1, layers: ["fc1"], temperatureMode: .scaled, temperature: 2),
            capacity: 8)
        _ = total(net, scaled, x, labels)
        // Doubling the layer's scale doubles... the squared distances by 4, and the temperature with them.
        let before = scaled.temperatures[0]
        let fc1 = net.layout.entry(named: "fc1.kernel")!, bias = net.layout.entry(named: "fc1.bias")!
        for i in fc1.offset..<(bias.offset + bias.count) { net.parameters[i] *= 2 }
        _ = total(net, scaled, x, labels)
        #expect(abs(scaled.temperatures[0] / before - 4) < 1e-3)
    }

    @Test func scalePenaltyGradientMatchesItsDefinition() throws {
        let net = try Network(architecture: arch, seed: 3)
        let term = try ActivationScalePenalty(network: net, factor: 0.5, layers: ["fc1"])
        let ws = Workspace(network: net, capacity: 2, trainable: true)
        ws.accumulatedGradients = Set(term.representationIndices)
        for i in 0..<72 { ws.input[i] = Float(i % 7) / 7 }
        net.forward(ws, count: 2, zeroGradients: true)
        let labels: [Int32] = [0, 1]
        let v = labels.withUnsafeBufferPointer { term.apply(network: net, workspace: ws, labels: $0.baseAddress!, count: 2) }
        let idx = try net.representationIndex("fc1")
        let a = ws.activation(idx).array.prefix(12)
        #expect(abs(v - 0.5 * a.map { Double($0 * $0) }.reduce(0, +) / 12) < 1e-6)
        let g = ws.gradients[idx]!.array.prefix(12)
        for (gi, ai) in zip(g, a) { #expect(abs(gi - 2 * 0.5 * ai / 12) < 1e-6) }
    }
}
