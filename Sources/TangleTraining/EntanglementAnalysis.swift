import TangleData
import TangleEntanglement
import TangleNetwork

/// Entanglement measurements on labelled image sets, for `tangle entanglement`.
public enum EntanglementAnalysis {
    /// SNNL of the input and every named representation of `network` on the first `count` images.
    public static func layers(
        network: Network, images: LabelledImages, count: Int, layers: [String],
        distance: SoftNearestNeighborLoss.Distance = .euclidean, fixedTemperature: Double = 100
    ) throws -> [EntanglementProbe.Layer] {
        let n = min(count, images.count)
        guard n >= 2 else { throw DataError.invalid("entanglement needs at least 2 labelled images; got \(n)") }
        let ws = Workspace(network: network, capacity: n, trainable: false)
        images.copyImages(0..<n, into: ws.input.pointer)
        network.forward(ws, count: n)
        return try EntanglementProbe(distance: distance, fixedTemperature: fixedTemperature).measure(
            network: network, workspace: ws, count: n, labels: Array(images.labels.prefix(n)), layers: layers, includeInput: true)
    }

    /// SNNL, in input space, of two image sets labelled real and synthetic: how well a generator's
    /// samples mix with real data (high: indistinguishable; low: the sets separate).
    ///
    /// Uses the first `count` images of each set; both must have the same image size.
    public static func realVersusSynthetic(
        real: LabelledImages, synthetic: LabelledImages, count: Int,
        distance: SoftNearestNeighborLoss.Distance = .euclidean, fixedTemperature: Double = 100
    ) throws -> EntanglementProbe.Layer {
        guard real.rows == synthetic.rows, real.columns == synthetic.columns else {
            throw DataError.invalid(
                "the real images are \(real.rows)x\(real.columns) and the synthetic ones \(synthetic.rows)x\(synthetic.columns); compare sets of one size")
        }
        let a = min(count, real.count), b = min(count, synthetic.count)
        guard a >= 2, b >= 2 else { throw DataError.invalid("each set needs at least 2 images") }
        let size = real.imageSize
        let input = [Float](unsafeUninitializedCapacity: (a + b) * size) { buf, n in
            real.copyImages(0..<a, into: buf.baseAddress!)
            synthetic.copyImages(0..<b, into: buf.baseAddress! + a * size)
            n = (a + b) * size
        }
        let arch = Architecture(input: Shape3(height: real.rows, width: real.columns, channels: 1), layers: [.dense("none", units: 1)])
        let net = try Network(architecture: arch, seed: 0)
        let ws = Workspace(network: net, capacity: a + b, trainable: false, workers: 1)
        input.withUnsafeBufferPointer { ws.input.pointer.update(from: $0.baseAddress!, count: input.count) }
        let labels = [Int32](repeating: 0, count: a) + [Int32](repeating: 1, count: b)
        var layer = try EntanglementProbe(distance: distance, fixedTemperature: fixedTemperature).measure(
            network: net, workspace: ws, count: a + b, labels: labels, layers: [], includeInput: true)[0]
        layer.layer = "input (real vs synthetic)"
        return layer
    }
}
