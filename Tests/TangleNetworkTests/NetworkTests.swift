import Testing
import TangleNetwork
import TangleTensor

@Suite struct NetworkTests {
    @Test func referenceArchitectureHasTheNamedShapes() throws {
        let net = try Network(architecture: .reference(), seed: 0)
        #expect(net.parameterCount == 832 + 51_264 + 803_072 + 32_896 + 1_290)
        #expect(try net.representationSize("pool1") == 6272)
        #expect(try net.representationSize("pool2") == 3136)
        #expect(try net.representationSize("fc1") == 256)
        #expect(try net.representationSize("fc2") == 128)
        #expect(try net.representationSize("logits") == 10)
        #expect(net.layout.entry(named: "conv2.kernel")?.shape == [5, 5, 32, 64])
        #expect(throws: NetworkError.self) { try net.representationIndex("fc9") }
        #expect(try net.representationIndex("input") == 0)
        #expect(try net.representationSize("input") == 784)
    }

    @Test func widthMultipliesEveryHiddenLayer() throws {
        let net = try Network(architecture: .reference(width: 2), seed: 0)
        #expect(net.layout.entry(named: "conv2.kernel")?.shape == [5, 5, 64, 128])
        #expect(try net.representationSize("pool2") == 6272)
        #expect(try net.representationSize("fc1") == 512)
        #expect(try net.representationSize("fc2") == 256)
        #expect(try net.representationSize("logits") == 10)
        #expect(net.parameterCount == 1_664 + 204_928 + 3_211_776 + 131_328 + 2_570)
    }

    @Test func sameSeedGivesBitIdenticalWeights() throws {
        let a = try Network(architecture: .reference(), seed: 7)
        let b = try Network(architecture: .reference(), seed: 7)
        let c = try Network(architecture: .reference(), seed: 8)
        #expect(a.parameters.array == b.parameters.array)
        #expect(a.parameters.array != c.parameters.array)
    }

    @Test func glorotUniformStaysWithinItsLimitAndBiasesStartAtZero() throws {
        let net = try Network(architecture: .reference(), seed: 1)
        let e = net.layout.entry(named: "fc1.kernel")!
        let limit = (6.0 / Float(3136 + 256)).squareRoot()
        let values = (0..<e.count).map { net.parameters[e.offset + $0] }
        #expect(values.allSatisfy { abs($0) <= limit })
        #expect(values.map { abs($0) }.max()! > 0.9 * limit)
        let b = net.layout.entry(named: "fc1.bias")!
        #expect((0..<b.count).allSatisfy { net.parameters[b.offset + $0] == 0 })
    }

    @Test func heNormalHasTheRightSpread() throws {
        var arch = Architecture.reference()
        arch.initialization = .heNormal
        let net = try Network(architecture: arch, seed: 1)
        let e = net.layout.entry(named: "fc1.kernel")!
        let values = (0..<e.count).map { Double(net.parameters[e.offset + $0]) }
        let variance = values.map { $0 * $0 }.reduce(0, +) / Double(values.count)
        #expect(abs(variance - 2.0 / 3136) / (2.0 / 3136) < 0.05)
    }

    @Test func invalidArchitecturesAreRefusedWithAReason() {
        #expect(throws: NetworkError.self) {
            try Network(architecture: Architecture(input: Shape3(height: 4, width: 4, channels: 1), layers: []), seed: 0)
        }
        #expect(throws: NetworkError.self) {
            try Network(
                architecture: Architecture(
                    input: Shape3(height: 4, width: 4, channels: 1),
                    layers: [.dense("a", units: 2), .dense("a", units: 2)]), seed: 0)
        }
        #expect(throws: NetworkError.self) {
            try Network(
                architecture: Architecture(
                    input: Shape3(height: 2, width: 2, channels: 1), layers: [.conv2d("c", filters: 1, kernel: 5, padding: .valid)]),
                seed: 0)
        }
    }

    @Test func flopCountOfTheReference() throws {
        let net = try Network(architecture: .reference(), seed: 0)
        // conv1 1.25M + conv2 20.07M + fc1 1.61M + fc2 65.5k + logits 2.6k multiply-adds x2.
        #expect(abs(net.flopsPerImage.forward - 2 * (784 * 25 * 32 + 196 * 800 * 64 + 3136 * 256 + 256 * 128 + 128 * 10)) < 1)
    }
}
