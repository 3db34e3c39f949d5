import Foundation
import TangleNetwork
import TangleTensor

/// Where a training step's time goes: each layer's forward and backward time at one batch size,
/// run exactly as training runs them (the batch split over the workers).
public struct LayerBenchmark {
    /// One layer's timings.
    public struct Row: Codable, Sendable {
        /// The layer's name.
        public var layer: String
        /// Median forward milliseconds for the batch.
        public var forwardMs: Double
        /// Median backward milliseconds for the batch (with input gradient except the first layer).
        public var backwardMs: Double
        /// Achieved GFLOP/s over forward and backward.
        public var gflops: Double
    }

    /// Images per batch.
    public var batchSize = 256
    /// Timed repetitions (median reported).
    public var repeats = 10

    /// Creates the benchmark.
    public init() {}

    /// Times every layer of `architecture`.
    public func run(architecture: Architecture = .reference()) throws -> [Row] {
        let network = try Network(architecture: architecture, seed: 0)
        let ws = Workspace(network: network, capacity: batchSize, trainable: true)
        var rng = SeededGenerator(seed: 1)
        for i in 0..<(batchSize * network.inputShape.size) { ws.input[i] = rng.nextUnitFloat() }
        network.forward(ws, count: batchSize, zeroGradients: true)
        for (i, g) in ws.gradients.enumerated() where i > 0 {
            for j in 0..<g!.count { g![j] = rng.nextFloat(in: -1e-3, 1e-3) }
        }
        var rows: [Row] = []
        let ranges = Parallel.split(batchSize, into: ws.workers)
        for (li, layer) in network.layers.enumerated() {
            var fwd: [Double] = [], bwd: [Double] = []
            let inSize = layer.inputShape.size, outSize = layer.outputShape.size
            let params = network.parameters.shared
            for _ in 0..<repeats {
                var t0 = DispatchTime.now().uptimeNanoseconds
                Parallel.run(ws.workers) { w in
                    let r = ranges[w]
                    layer.forward(
                        input: ws.activations[li].pointer + r.lowerBound * inSize,
                        output: ws.activations[li + 1].pointer + r.lowerBound * outSize, count: r.count,
                        parameters: params.base, scratch: ws.scratch[w].pointer)
                }
                fwd.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
                t0 = DispatchTime.now().uptimeNanoseconds
                Parallel.run(ws.workers) { w in
                    let r = ranges[w]
                    layer.backward(
                        input: ws.activations[li].pointer + r.lowerBound * inSize,
                        output: ws.activations[li + 1].pointer + r.lowerBound * outSize,
                        outputGradient: ws.gradients[li + 1]!.pointer + r.lowerBound * outSize,
                        inputGradient: li > 0 ? ws.gradients[li]!.pointer + r.lowerBound * inSize : nil, accumulate: false, count: r.count,
                        parameters: params.base, parameterGradients: ws.workerGradients[w].pointer,
                        scratch: ws.scratch[w].pointer)
                }
                bwd.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
            }
            let f = Statistics.median(fwd), b = Statistics.median(bwd)
            let flops = layer.flopsPerImage
            let total = (flops.forward + (li == 0 ? flops.backward / 2 : flops.backward)) * Double(batchSize)
            rows.append(Row(layer: layer.spec.name, forwardMs: f, backwardMs: b, gflops: total / ((f + b) / 1e3) / 1e9))
        }
        return rows
    }
}
