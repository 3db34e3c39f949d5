import Foundation
import TangleAttacks
import TangleData
import TangleDigest
import TangleDkNN
import TangleModelStore
import TangleNetwork
import TangleTensor
import TangleTraining

/// The detector report behind `tangle evaluate --ood … --attacks …`: the neighbour index (cached),
/// the Mahalanobis Gaussians, calibration on the held-out split, and every score on the test set,
/// on each outlier set and on each attack.
public struct DetectorEvaluation {
    /// The model card.
    public var card: ModelCard
    /// The network loaded from it.
    public var network: Network
    /// The folder with the Fashion-MNIST IDX files.
    public var dataDirectory: String
    /// Outlier sets as (name, path).
    public var oodSets: [(String, String)]
    /// The attacks.
    public var attacks: [Attack]
    /// Test images attacked.
    public var attackCount: Int
    /// The cache folder override.
    public var cache: String?
    /// Layers wider than this are reduced to it in the index.
    public var indexDimension: Int

    /// Creates an evaluation.
    public init(
        card: ModelCard, network: Network, dataDirectory: String, oodSets: [(String, String)], attacks: [Attack],
        attackCount: Int, cache: String?, indexDimension: Int
    ) {
        self.card = card
        self.network = network
        self.dataDirectory = dataDirectory
        self.oodSets = oodSets
        self.attacks = attacks
        self.attackCount = attackCount
        self.cache = cache
        self.indexDimension = indexDimension
    }

    /// Reads an IDX image file, or the `t10k-images-idx3-ubyte[.gz]` inside a folder.
    public static func loadImages(_ path: String) throws -> LabelledImages {
        var isDir: ObjCBool = false
        var file = path
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue {
            let plain = (path as NSString).appendingPathComponent("t10k-images-idx3-ubyte")
            file = FileManager.default.fileExists(atPath: plain) ? plain : plain + ".gz"
        }
        let im = try IDX.readImages(at: file, missingHint: "give an IDX image file or a folder holding t10k-images-idx3-ubyte[.gz]")
        return try LabelledImages(
            rows: im.rows, columns: im.columns, pixels: im.pixels, labels: [Int32](repeating: 0, count: im.count), classNames: ["?"])
    }

    /// Runs it.
    public func run() throws -> DetectionReport {
        let source = FashionMNIST(directory: dataDirectory)
        let train = try source.training()
        let test = try source.test()
        let set = try TrainingSet(holdingOutLast: card.data.calibration.count, of: train)
        let layers = card.representations
        let settings = NeighborIndex.Settings(layers: layers, maxDimension: indexDimension)
        let key = IndexCache.key(
            weightsSHA256: card.weightsSHA256, dataSHA256: try source.trainingProvenance().map(\.sha256), settings: settings,
            trainCount: set.trainIndices.count)
        let cached = try IndexCache(override: cache).index(key: key) {
            try NeighborIndex.build(network: network, images: train, indices: set.trainIndices, settings: settings)
        }
        let detector = try Detector(network: network, index: cached.index)
        // Mahalanobis on fc2 (the penultimate representation), fitted on 20,000 training images.
        if let penultimate = network.representationNames.dropLast().last {
            let sample = Array(set.trainIndices.prefix(20_000))
            let images = FloatBuffer(count: sample.count * network.inputShape.size)
            train.copyImages(sample, into: images.pointer)
            let feats = try network.representations([penultimate], of: images.pointer, count: sample.count)[0]
            let d = try network.representationSize(penultimate)
            detector.gaussian = (
                penultimate,
                GaussianScore.fit(feats.pointer, labels: sample.map { train.labels[$0] }, count: sample.count, dimension: d, classes: network.classCount)
            )
        }
        let size = network.inputShape.size
        let cal = FloatBuffer(count: set.calibrationIndices.count * size)
        train.copyImages(set.calibrationIndices, into: cal.pointer)
        _ = detector.calibrate(cal.pointer, labels: set.calibrationIndices.map { train.labels[$0] }, count: set.calibrationIndices.count)

        let testX = FloatBuffer(count: test.count * size)
        test.copyImages(0..<test.count, into: testX.pointer)
        let testScores = detector.scores(testX.pointer, count: test.count)
        let accuracy = Double(zip(testScores, test.labels).filter { $0.prediction == Int($1) }.count) / Double(test.count)
        let dknnAccuracy = Double(zip(testScores, test.labels).filter { $0.dknn!.prediction == Int($1) }.count) / Double(test.count)
        let negatives = DetectionReport.scoreTable(testScores, layers: layers)

        var ood: [String: SetFigures] = [:]
        for (name, path) in oodSets {
            let images = try Self.loadImages(path)
            let x = FloatBuffer(count: images.count * size)
            images.copyImages(0..<images.count, into: x.pointer)
            let s = detector.scores(x.pointer, count: images.count)
            ood[name] = DetectionReport.figures(
                negatives: negatives, positives: DetectionReport.scoreTable(s, layers: layers), count: images.count)
        }
        var attackFigures: [String: AttackFigures] = [:]
        let n = min(attackCount, test.count)
        let cleanNegatives = DetectionReport.scoreTable(Array(testScores.prefix(n)), layers: layers)
        let ws = Workspace(network: network, capacity: 250, trainable: true, inputGradient: true)
        for attack in attacks {
            let x = FloatBuffer(count: n * size)
            x.pointer.update(from: testX.pointer, count: n * size)
            Array(test.labels.prefix(n)).withUnsafeBufferPointer {
                attack.perturb(x.pointer, labels: $0.baseAddress!, count: n, network: network, workspace: ws)
            }
            let s = detector.scores(x.pointer, count: n)
            let labels = test.labels.prefix(n)
            attackFigures[attack.description] = AttackFigures(
                accuracy: Double(zip(s, labels).filter { $0.prediction == Int($1) }.count) / Double(n),
                dknnAccuracy: Double(zip(s, labels).filter { $0.dknn!.prediction == Int($1) }.count) / Double(n),
                meanCredibility: s.map { $0.dknn!.credibility }.reduce(0, +) / Double(n),
                detection: DetectionReport.figures(
                    negatives: cleanNegatives, positives: DetectionReport.scoreTable(s, layers: layers), count: n))
        }
        return DetectionReport(
            accuracy: accuracy, dknnAccuracy: dknnAccuracy,
            meanCredibility: testScores.map { $0.dknn!.credibility }.reduce(0, +) / Double(test.count), ood: ood,
            attacks: attackFigures, indexBytes: cached.index.bytes, indexBuildSeconds: cached.seconds)
    }
}
