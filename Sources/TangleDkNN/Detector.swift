import Foundation
import TangleData
import TangleNetwork
import TangleTensor

/// Every score Tangle computes for an input, from one forward pass, one neighbour search per
/// layer, and the squeezed copies' forward passes.
public struct InputScores: Sendable {
    /// The model's prediction (argmax of the logits).
    public var prediction: Int
    /// Its softmax probability (the max softmax probability, MSP).
    public var probability: Double
    /// `logsumexp(logits)` (the negative energy; low = abnormal).
    public var logSumExp: Double
    /// Per DkNN layer, the neighbour count of every class among the `k` nearest.
    public var labelCounts: [[Int]]
    /// Per DkNN layer, the distance to the `kDistance`-th nearest neighbour (L2-normalised space).
    public var distances: [Double]
    /// The DkNN conformal outcome (when the detector is calibrated).
    public var dknn: ConformalPredictor.Outcome?
    /// Smallest Mahalanobis distance to a class mean on the Gaussian layer (when fitted).
    public var mahalanobis: Double?
    /// The largest L1 change of the softmax under the squeezers.
    public var squeeze: Double
    /// Dark-region roughness of the input, one per ``Roughness/exponents``.
    public var roughness: [Double] = []
    /// The input's noise floor (``NoiseFloor``).
    public var noiseFloor: Double = 0
    /// How much image it keeps at a coarse scale (``Coherence``).
    public var coherence: Double = 1
    /// How its content sits in the frame (``Framing``).
    public var framing = Framing(edgeToEdge: 0, spanShortfall: 0)
    /// What the input looked like when it arrived, before preprocessing (set by whoever read it:
    /// the judge from the decoded file, an evaluation from its set); nil when unknown.
    public var arrival: ArrivalStatistics?

    /// Creates a record.
    public init(
        prediction: Int, probability: Double, logSumExp: Double, labelCounts: [[Int]], distances: [Double],
        dknn: ConformalPredictor.Outcome?, mahalanobis: Double?, squeeze: Double
    ) {
        self.prediction = prediction
        self.probability = probability
        self.logSumExp = logSumExp
        self.labelCounts = labelCounts
        self.distances = distances
        self.dknn = dknn
        self.mahalanobis = mahalanobis
        self.squeeze = squeeze
    }

    /// How many of the `k` neighbours in each layer carry the predicted class.
    public var predictedClassNeighbours: [Int] { labelCounts.map { $0[prediction] } }
}

/// Runs the model and the neighbour index over batches of images and computes ``InputScores``.
public final class Detector: @unchecked Sendable {
    /// The classifier.
    public let network: Network
    /// The neighbour index (its layers are the DkNN layers).
    public let index: NeighborIndex
    /// Neighbours counted per layer (DkNN).
    public let k: Int
    /// The neighbour whose distance is the distance score (Sun et al. use 50).
    public let kDistance: Int
    /// The conformal predictor, once calibrated.
    public var conformal: ConformalPredictor?
    /// The Mahalanobis score's Gaussians and the layer they are fitted on.
    public var gaussian: (layer: String, score: GaussianScore)?
    /// The squeezers used for feature squeezing.
    public let squeezers: [Squeezer] = Squeezer.allCases
    private let batch: Int
    private let workspace: Workspace
    private let representationIndices: [Int]

    /// Prepares a detector for batches of up to `batch` images.
    public init(network: Network, index: NeighborIndex, k: Int = 75, kDistance: Int = 50, batch: Int = 500) throws {
        self.network = network
        self.index = index
        self.k = k
        self.kDistance = kDistance
        self.batch = batch
        workspace = Workspace(network: network, capacity: batch, trainable: false, arithmetic: index.settings.arithmetic, batchInvariant: true)
        representationIndices = try index.layers.map { try network.representationIndex($0.name) }
    }

    /// Scores `count` images (`[count, inputSize]`, values in `[0, 1]`).
    public func scores(_ images: UnsafePointer<Float>, count: Int) -> [InputScores] {
        var out: [InputScores] = []
        out.reserveCapacity(count)
        let size = network.inputShape.size
        var start = 0
        while start < count {
            let n = min(batch, count - start)
            out += scoreBatch(images + start * size, count: n)
            start += n
        }
        return out
    }

    private func scoreBatch(_ x: UnsafePointer<Float>, count n: Int) -> [InputScores] {
        let classes = network.classCount
        let size = network.inputShape.size
        let shape = network.inputShape
        // A small batch (one file in the daemon) goes through the network once together with its
        // squeezed copies: one forward pass over both cores instead of three on one. Every kernel
        // of the judging workspace, the projections and the searches compute a row alone, so an
        // input's scores are the same floats whatever batch it came in and wherever it sat in it.
        let together = n * (1 + squeezers.count) <= batch
        workspace.input.pointer.update(from: x, count: n * size)
        if together {
            for (c, s) in squeezers.enumerated() {
                for i in 0..<n {
                    s.apply(
                        x + i * size, into: workspace.input.pointer + ((c + 1) * n + i) * size, height: shape.height, width: shape.width,
                        channels: shape.channels)
                }
            }
        }
        network.forward(workspace, count: together ? n * (1 + squeezers.count) : n)
        let logits = Array(UnsafeBufferPointer(start: workspace.logits.pointer, count: n * classes))
        var probs = [Float](repeating: 0, count: n * classes)
        var results: [InputScores] = []
        for i in 0..<n {
            logits.withUnsafeBufferPointer { z in
                probs.withUnsafeMutableBufferPointer { SoftmaxCrossEntropy.softmax(z.baseAddress! + i * classes, classes: classes, into: $0.baseAddress! + i * classes) }
            }
            let row = Array(logits[(i * classes)..<((i + 1) * classes)])
            let m = row.max()!
            let lse = Double(m) + log(row.reduce(0.0) { $0 + exp(Double($1 - m)) })
            var best = 0
            for j in 1..<classes where row[j] > row[best] { best = j }
            results.append(
                InputScores(
                    prediction: best, probability: Double(probs[i * classes + best]), logSumExp: lse, labelCounts: [],
                    distances: [], dknn: nil, mahalanobis: nil, squeeze: 0))
        }
        // Roughness, the noise floor, coherence and framing read only the input: the images split over the workers.
        let input = SharedPointer(UnsafeMutablePointer(mutating: x))
        let fromInput = Self.parallelMap(n) { i in
            let image = input.base + i * size
            return (
                roughness: Roughness.exponents.map {
                    Roughness.score(image, height: shape.height, width: shape.width, channels: shape.channels, exponent: $0)
                },
                noiseFloor: NoiseFloor.score(image, height: shape.height, width: shape.width, channels: shape.channels),
                coherence: Coherence.score(image, height: shape.height, width: shape.width, channels: shape.channels),
                framing: Framing.measure(image, height: shape.height, width: shape.width, channels: shape.channels)
            )
        }
        for i in 0..<n {
            results[i].roughness = fromInput[i].roughness
            results[i].noiseFloor = fromInput[i].noiseFloor
            results[i].coherence = fromInput[i].coherence
            results[i].framing = fromInput[i].framing
        }
        // Mahalanobis on its layer.
        if let g = gaussian, let idx = try? network.representationIndex(g.layer) {
            let m = g.score.score(workspace.activation(idx).pointer, count: n)
            for i in 0..<n { results[i].mahalanobis = m[i] }
        }
        // Neighbours, layer by layer.
        for (l, rep) in representationIndices.enumerated() {
            let (q, residual) = index.embed(layer: l, workspace.activation(rep).pointer, count: n)
            let found = index.layers[l].neighbors.search(q.pointer, queryCount: n, k: max(k, kDistance))
            for i in 0..<n {
                results[i].labelCounts.append(labelCounts(found[i].prefix(k).map(\.index), labels: index.labels, classes: classes))
                let d = Double(found[i][min(kDistance, found[i].count) - 1].distance) + Double(residual?[i] ?? 0)
                results[i].distances.append(max(d, 0).squareRoot())
            }
        }
        if let conformal {
            for i in 0..<n { results[i].dknn = conformal.outcome(counts: results[i].labelCounts) }
        }
        // Feature squeezing: each squeezed copy's softmax against the input's (forwarded above with
        // the input, or now).
        let squeezed = together ? nil : FloatBuffer(count: n * size)
        for (c, s) in squeezers.enumerated() {
            var row = (c + 1) * n
            if let squeezed {
                for i in 0..<n {
                    s.apply(x + i * size, into: squeezed.pointer + i * size, height: shape.height, width: shape.width, channels: shape.channels)
                }
                workspace.input.pointer.update(from: squeezed.pointer, count: n * size)
                network.forward(workspace, count: n)
                row = 0
            }
            var p = [Float](repeating: 0, count: classes)
            for i in 0..<n {
                p.withUnsafeMutableBufferPointer {
                    SoftmaxCrossEntropy.softmax(workspace.logits.pointer + (row + i) * classes, classes: classes, into: $0.baseAddress!)
                }
                var l1 = 0.0
                for j in 0..<classes { l1 += Double(abs(p[j] - probs[i * classes + j])) }
                results[i].squeeze = max(results[i].squeeze, l1)
            }
        }
        return results
    }

    /// `(0..<n).map(f)` with the indices split over the workers (one worker below 64).
    static func parallelMap<T>(_ n: Int, _ f: @escaping @Sendable (Int) -> T) -> [T] {
        guard n > 0 else { return [] }
        let out = UnsafeMutablePointer<T>.allocate(capacity: n)
        defer { out.deallocate() }
        let target = SharedPointer(out)
        let parts = Parallel.split(n, into: n >= 64 ? Parallel.workerCount : 1)
        Parallel.run(parts.count) { p in
            for i in parts[p] { (target.base + i).initialize(to: f(i)) }
        }
        let result = Array(UnsafeBufferPointer(start: out, count: n))
        out.deinitialize(count: n)
        return result
    }

    /// Fits the conformal predictor on calibration images and their labels: the calibration
    /// nonconformity of each is `α` at its true label.
    public func calibrate(_ images: UnsafePointer<Float>, labels: [Int32], count: Int) -> [InputScores] {
        conformal = nil
        let s = scores(images, count: count)
        let alphas = zip(s, labels).map { ConformalPredictor.nonconformity(counts: $0.labelCounts, k: k)[Int($1)] }
        conformal = ConformalPredictor(k: k, calibrationNonconformity: alphas)
        return s.map {
            var r = $0
            r.dknn = conformal!.outcome(counts: r.labelCounts)
            return r
        }
    }
}
