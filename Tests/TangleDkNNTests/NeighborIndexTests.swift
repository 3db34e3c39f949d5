import Foundation
import Testing
import TangleData
import TangleNeighbors
import TangleNetwork
import TangleTensor
@testable import TangleDkNN

@Suite struct NeighborIndexTests {
    let arch = Architecture(
        input: Shape3(height: 6, width: 6, channels: 1),
        layers: [
            .conv2d("conv1", filters: 4, kernel: 3), .maxpool("pool1"), .dense("fc1", units: 24),
            .dense("logits", units: 3, activation: .linear),
        ])

    func images(_ n: Int) throws -> LabelledImages {
        var rng = SeededGenerator(seed: 5)
        return try LabelledImages(
            rows: 6, columns: 6, pixels: (0..<(n * 36)).map { _ in UInt8(truncatingIfNeeded: rng.next()) },
            labels: (0..<n).map { Int32($0 % 3) }, classNames: ["a", "b", "c"])
    }

    @Test(arguments: [NeighborIndex.Settings.Storage.int8, .float32])
    func buildsWritesAndReadsBackTheSameIndex(storage: NeighborIndex.Settings.Storage) throws {
        let net = try Network(architecture: arch, seed: 1)
        let data = try images(300)
        let settings = NeighborIndex.Settings(layers: ["pool1", "fc1", "logits"], maxDimension: 30, pcaSample: 200, storage: storage)
        let index = try NeighborIndex.build(network: net, images: data, indices: Array(0..<250), settings: settings, showProgress: false)
        #expect(index.layers.map(\.dimension) == [31, 24, 3])  // 30 kept + the residual coordinate
        // 8-bit storage for the wide layers; the logits (3 values) stay float32.
        let quantized = index.layers.map { $0.neighbors is QuantizedNeighbors }
        #expect(quantized == (storage == .int8 ? [true, true, false] : [false, false, false]))
        #expect(index.layers[0].projection != nil && index.layers[1].projection == nil)
        #expect(index.layers[0].projection!.explainedVariance > 0.5)
        #expect(index.labels.count == 250)
        let path = NSTemporaryDirectory() + "tangle-index-\(UUID().uuidString).tidx"
        defer { unlink(path) }
        try index.write(to: path, key: "k1")
        let back = try NeighborIndex.load(path: path, key: "k1")
        #expect(back.labels == index.labels)
        #expect(back.bytes == index.bytes)
        // The same queries find the same neighbours in both.
        let ws = Workspace(network: net, capacity: 50, trainable: false)
        data.copyImages(250..<300, into: ws.input.pointer)
        net.forward(ws, count: 50)
        for (l, name) in settings.layers.enumerated() {
            let raw = ws.activation(try net.representationIndex(name)).pointer
            let q1 = index.embed(layer: l, raw, count: 50).features, q2 = back.embed(layer: l, raw, count: 50).features
            #expect(q1.array == q2.array)
            let a = index.layers[l].neighbors.search(q1.pointer, queryCount: 50, k: 7)
            let b = back.layers[l].neighbors.search(q2.pointer, queryCount: 50, k: 7)
            #expect(a.map { $0.map(\.index) } == b.map { $0.map(\.index) })
        }
        #expect(back.layers.map { $0.neighbors is QuantizedNeighbors } == quantized)
        #expect(throws: IndexFileError.self) { try NeighborIndex.load(path: path, key: "other") }
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes = bytes.prefix(bytes.count / 2)
        try bytes.write(to: URL(fileURLWithPath: path))
        #expect(throws: IndexFileError.self) { try NeighborIndex.load(path: path, key: "k1") }
    }

    /// Settings written before 8-bit storage existed read back as float32 (what those indexes were),
    /// so a calibration made with one keeps asking for the same kind of index.
    @Test func olderSettingsMeanFloat32() throws {
        let json = #"{"layers":["pool1"],"maxDimension":256,"pcaSample":10000,"seed":11,"residual":true}"#
        let settings = try JSONDecoder().decode(NeighborIndex.Settings.self, from: Data(json.utf8))
        #expect(settings.storage == .float32 && settings.maxDimension == 256)
        #expect(NeighborIndex.Settings(layers: ["pool1"]).storage == .int8)
    }
}
