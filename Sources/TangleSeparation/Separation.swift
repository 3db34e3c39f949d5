import TangleAttacks
import TangleData
import TangleMetrics
import TangleNeighbors
import TangleNetwork
import TangleTensor

/// How far apart in-distribution, outlier and attacked inputs lie in each hidden layer.
///
/// The score is the distance to the k-th nearest training point on L2-normalised features (Sun et
/// al. 2022). In-distribution inputs are calibration images; the outliers are made from them
/// (pixel-shuffled, inverted, blurred) and so are the attacks (white-box FGSM and BIM). Nothing
/// here touches a test or evaluation set, so model selection can use it.
public struct Separation {
    /// One layer's (or the combination's) detection figures against one set.
    public struct Figure: Codable, Sendable {
        /// The outlier or attack set.
        public var set: String
        /// The layer, or `"max"` for the maximum over layers of calibration-standardised scores.
        public var layer: String
        /// AUROC (in-distribution negative, set positive).
        public var auroc: Double
        /// Fraction of the set flagged at a 5 % false-flag rate on the in-distribution images.
        public var tprAt5: Double

        /// A figure given one by one.
        public init(set: String, layer: String, auroc: Double, tprAt5: Double) {
            self.set = set
            self.layer = layer
            self.auroc = auroc
            self.tprAt5 = tprAt5
        }
    }

    /// Training points in the neighbour index.
    public var trainCount = 10_000
    /// Calibration images used as in-distribution queries (and as the source of outliers).
    public var calibrationCount = 1000
    /// Neighbours (the k-th one's distance is the score).
    public var k = 50
    /// Seed for the training subset and the pixel shuffles.
    public var seed: UInt64 = 1
    /// The attacks.
    public var attacks: [Attack] = [Attack(method: .fgsm, eps: 0.1), Attack(method: .bim, eps: 0.1)]

    /// Default settings.
    public init() {}

    /// Measures `layers` of `network`.
    public func measure(
        network: Network, images: LabelledImages, trainIndices: [Int], calibrationIndices: [Int], layers: [String]
    ) throws -> [Figure] {
        var rng = SeededGenerator(seed: seed)
        let train = Array(rng.permutation(trainIndices.count).prefix(trainCount).map { trainIndices[$0] })
        let calibration = Array(calibrationIndices.prefix(calibrationCount))
        let size = images.imageSize
        let clean = FloatBuffer(count: calibration.count * size)
        images.copyImages(calibration, into: clean.pointer)
        let labels = calibration.map { images.labels[$0] }

        var sets: [(String, FloatBuffer)] = []
        for (name, make) in SyntheticOutliers.all {
            sets.append((name, transformed(clean, count: calibration.count, size: size) { src, dst in make(src, dst, size, &rng) }))
        }
        let (h, w) = (images.rows, images.columns)
        sets.append(("blurred", transformed(clean, count: calibration.count, size: size) { src, dst in
            Separation.boxBlur(src, dst, height: h, width: w, radius: 2)
        }))
        let attackWorkspace = Workspace(network: network, capacity: 250, trainable: true, inputGradient: true)
        for attack in attacks {
            let adv = FloatBuffer(count: calibration.count * size)
            adv.pointer.update(from: clean.pointer, count: calibration.count * size)
            labels.withUnsafeBufferPointer {
                attack.perturb(adv.pointer, labels: $0.baseAddress!, count: calibration.count, network: network, workspace: attackWorkspace)
            }
            sets.append((attack.description, adv))
        }

        let trainInput = FloatBuffer(count: train.count * size)
        images.copyImages(train, into: trainInput.pointer)
        let trainFeatures = try features(network, trainInput, count: train.count, layers: layers)
        let cleanFeatures = try features(network, clean, count: calibration.count, layers: layers)
        let setFeatures = try sets.map { try features(network, $0.1, count: calibration.count, layers: layers) }

        var figures: [Figure] = []
        var standardizedClean = [Double](repeating: -.infinity, count: calibration.count)
        var standardizedSets = sets.map { _ in [Double](repeating: -.infinity, count: calibration.count) }
        for (l, layer) in layers.enumerated() {
            let d = trainFeatures[l].dimension
            let index = NearestNeighbors(points: trainFeatures[l].buffer.pointer, count: train.count, dimension: d)
            let cleanScores = kthDistance(index, cleanFeatures[l], count: calibration.count)
            let mean = cleanScores.reduce(0, +) / Double(cleanScores.count)
            let std = max((cleanScores.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(cleanScores.count)).squareRoot(), 1e-12)
            for i in 0..<calibration.count { standardizedClean[i] = max(standardizedClean[i], (cleanScores[i] - mean) / std) }
            for (s, set) in sets.enumerated() {
                let scores = kthDistance(index, setFeatures[s][l], count: calibration.count)
                for i in 0..<calibration.count { standardizedSets[s][i] = max(standardizedSets[s][i], (scores[i] - mean) / std) }
                figures.append(
                    Figure(
                        set: set.0, layer: layer, auroc: ROC.auroc(negatives: cleanScores, positives: scores),
                        tprAt5: ROC.tpr(negatives: cleanScores, positives: scores, atFalsePositiveRate: 0.05)))
            }
        }
        for (s, set) in sets.enumerated() {
            figures.append(
                Figure(
                    set: set.0, layer: "max", auroc: ROC.auroc(negatives: standardizedClean, positives: standardizedSets[s]),
                    tprAt5: ROC.tpr(negatives: standardizedClean, positives: standardizedSets[s], atFalsePositiveRate: 0.05)))
        }
        return figures
    }

    private func transformed(
        _ clean: FloatBuffer, count: Int, size: Int, _ f: (UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void
    ) -> FloatBuffer {
        let out = FloatBuffer(count: count * size)
        for i in 0..<count { f(clean.pointer + i * size, out.pointer + i * size) }
        return out
    }

    /// A `(2r+1)`-wide box blur with edge clamping.
    static func boxBlur(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, height: Int, width: Int, radius: Int) {
        for y in 0..<height {
            for x in 0..<width {
                var s: Float = 0
                var n: Float = 0
                for dy in -radius...radius {
                    for dx in -radius...radius {
                        let yy = min(max(y + dy, 0), height - 1), xx = min(max(x + dx, 0), width - 1)
                        s += src[yy * width + xx]
                        n += 1
                    }
                }
                dst[y * width + x] = s / n
            }
        }
    }

    private struct Features {
        var buffer: FloatBuffer
        var dimension: Int
    }

    /// L2-normalised representations of `count` images, per layer.
    private func features(_ network: Network, _ input: FloatBuffer, count: Int, layers: [String]) throws -> [Features] {
        let raw = try network.representations(layers, of: input.pointer, count: count)
        return zip(raw, layers).map { buffer, _ in
            let d = buffer.count / max(count, 1)
            l2Normalize(buffer.pointer, rows: count, dimension: d)
            return Features(buffer: buffer, dimension: d)
        }
    }

    private func kthDistance(_ index: NearestNeighbors, _ q: Features, count: Int) -> [Double] {
        index.search(q.buffer.pointer, queryCount: count, k: k).map { Double($0.last!.distance).squareRoot() }
    }
}
