import Testing
import TangleEntanglement
import TangleNetwork
import TangleTensor

@Suite struct EntanglementProbeTests {
    @Test func separatedClassesAreLessEntangledThanMixedOnes() throws {
        let arch = Architecture(
            input: Shape3(height: 1, width: 1, channels: 2),
            layers: [.dense("h", units: 2, activation: .linear), .dense("logits", units: 2, activation: .linear)])
        let net = try Network(architecture: arch, seed: 1)
        // Make "h" the identity.
        let k = net.layout.entry(named: "h.kernel")!, b = net.layout.entry(named: "h.bias")!
        for i in 0..<4 { net.parameters[k.offset + i] = i % 3 == 0 ? 1 : 0 }
        for i in 0..<2 { net.parameters[b.offset + i] = 0 }
        var rng = SeededGenerator(seed: 3)
        let n = 40
        let ws = Workspace(network: net, capacity: n, trainable: false)
        var separated: [Int32] = [], mixed: [Int32] = []
        for i in 0..<n {
            let c = i % 2
            ws.input[2 * i] = Float(c) * 10 + 0.3 * rng.nextNormal()
            ws.input[2 * i + 1] = 0.3 * rng.nextNormal()
            separated.append(Int32(c))
            mixed.append(Int32((i / 2) % 2))
        }
        net.forward(ws, count: n)
        let probe = EntanglementProbe(fixedTemperature: 1)
        let a = try probe.measure(network: net, workspace: ws, count: n, labels: separated, layers: ["h"], includeInput: true)
        let m = try probe.measure(network: net, workspace: ws, count: n, labels: mixed, layers: ["h"], includeInput: true)
        #expect(a.map(\.layer) == ["input", "h"])
        #expect(a[1].snnlMin < 0.1)
        #expect(m[1].snnlMin > 0.5)
        #expect(abs(a[0].snnlMin - a[1].snnlMin) < 1e-6)  // h is the identity
        #expect(a[1].snnlMin <= a[1].snnlFixed + 1e-12)
        #expect(a[1].medianDistance > 1)
    }
}
