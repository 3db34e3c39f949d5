import Foundation
import TangleData
import TangleDataSource
import TangleDkNN
import TangleModelStore
import TangleNetwork
import TangleTensor
import TangleVerdict

/// A model folder made ready to judge: the network, its neighbour index (from the cache, or
/// built and cached), the Mahalanobis Gaussians, and — when asked for — its verdict calibration,
/// which must have been made for these weights.
public final class DetectorSetup: @unchecked Sendable {
    /// The model folder.
    public let folder: String
    /// Its card.
    public let card: ModelCard
    /// The network.
    public let network: Network
    /// The detector (conformal predictor set from the calibration when there is one).
    public let detector: Detector
    /// The verdict rule, when the folder is calibrated and `requireCalibration` was set.
    public let rule: VerdictRule?
    /// Whether the index was built now (not from the cache), and how long that took.
    public let indexBuild: (built: Bool, seconds: Double)
    /// The folder holding the training data.
    public let dataDirectory: String
    private let trainingLoader: () throws -> TrainingSet
    private var trainingCache: TrainingSet?

    /// The training set (loaded on first use).
    public func training() throws -> TrainingSet {
        if let trainingCache { return trainingCache }
        let t = try trainingLoader()
        trainingCache = t
        return t
    }

    /// Opens a model folder.
    /// - Parameters:
    ///   - model: the model folder.
    ///   - data: the training data's folder when not where the card says.
    ///   - cache: the cache folder override.
    ///   - indexDimension: layers wider than this are reduced by PCA in the index (default: the settings' default).
    ///   - indexStorage: how the index stores features (default: the settings' default).
    ///   - requireCalibration: load `calibration.json` and refuse to go on without a valid one (its
    ///     values in range, `k` within the index's training points, its classes the network's).
    /// - Throws: model (``ModelStoreError``: the model is validated as it is loaded), data and
    ///   ``CalibrationError`` errors with what to do.
    public init(
        model: String, data: String? = nil, cache: String? = nil, indexDimension: Int? = nil,
        indexStorage: NeighborIndex.Settings.Storage? = nil, requireCalibration: Bool,
        progress: Bool = true
    ) throws {
        folder = model
        let (card, network) = try ModelFolder(path: model).loadNetwork()
        self.card = card
        self.network = network
        // Refuse early, before any expensive work, when the calibration is missing or foreign.
        let calibration = requireCalibration ? try VerdictCalibration.load(modelFolder: model, weightsSha256: card.weightsSHA256) : nil
        let directory = try DataLocation.resolve(card: card, override: data)
        dataDirectory = directory
        let calibrationCount = card.data.calibration.count
        let loader = { try TrainingDataSource.open(card: card, override: data).set }
        trainingLoader = loader
        let digests = try TrainingDataSource.digests(card: card, override: data)
        let layers = calibration?.layers ?? card.representations
        var settings = NeighborIndex.Settings(layers: layers)
        if let indexDimension { settings.maxDimension = indexDimension }
        if let indexStorage { settings.storage = indexStorage }
        if let calibration {
            // Judge with the index the calibration was measured with; refuse one from an older kind of index.
            guard let made = calibration.index, made.residual == settings.residual else { throw CalibrationError.otherIndex(modelFolder: model) }
            settings = made
        }
        let totalCount =
            card.data.kind == "image-folder"
            ? card.data.fileCount
            : try IDX.readLabels(at: FashionMNIST(directory: directory).files(test: false).labels, missingHint: FashionMNIST.installHint).count
        if let calibration {
            // k and k_distance within the index's training points, one class name per output: before the index is built.
            try calibration.checkClasses(network.classCount, modelFolder: model)
            try calibration.checkNeighbours(trainingPoints: totalCount - calibrationCount, modelFolder: model)
        }
        let key = IndexCache.key(
            weightsSHA256: card.weightsSHA256, dataSHA256: digests, settings: settings, trainCount: totalCount - calibrationCount)
        let cache = IndexCache(override: cache)
        var loadedTraining: TrainingSet?
        let cached = try cache.index(key: key) {
            let set = try loader()
            loadedTraining = set
            return try NeighborIndex.build(network: network, images: set.images, indices: set.trainIndices, settings: settings)
        }
        indexBuild = (cached.built, cached.seconds)
        try calibration?.checkNeighbours(trainingPoints: cached.index.labels.count, modelFolder: model)
        trainingCache = loadedTraining
        // Uncalibrated (calibrate, evaluate): the default k and k_distance, at most the index's points (a small
        // image-folder model), so the calibration written from this detector passes `checkNeighbours`.
        let points = max(cached.index.labels.count, 1)
        let detector = try Detector(
            network: network, index: cached.index, k: calibration?.k ?? min(75, points), kDistance: calibration?.kDistance ?? min(50, points))
        self.detector = detector
        // The Mahalanobis Gaussians on the penultimate representation, cached beside the index.
        if let penultimate = network.representationNames.dropLast().last {
            let path = (cache.directory as NSString).appendingPathComponent("gaussian-\(key.prefix(24))-\(penultimate).json")
            if let data = FileManager.default.contents(atPath: path), let g = try? JSONDecoder().decode(GaussianScore.self, from: data) {
                detector.gaussian = (penultimate, g)
            } else {
                let set = try loadedTraining ?? loader()
                loadedTraining = set
                trainingCache = set
                let g = try Self.fitGaussian(network: network, layer: penultimate, set: set, arithmetic: settings.arithmetic)
                detector.gaussian = (penultimate, g)
                try? JSONEncoder().encode(g).write(to: URL(fileURLWithPath: path), options: .atomic)
            }
        }
        if let calibration {
            detector.conformal = ConformalPredictor(k: calibration.k, calibrationNonconformity: calibration.conformalNonconformity)
            rule = VerdictRule(calibration: calibration)
        } else {
            rule = nil
        }
    }

    /// Mahalanobis Gaussians fitted on 20,000 training images (outside the calibration split).
    static func fitGaussian(network: Network, layer: String, set: TrainingSet, arithmetic: Arithmetic) throws -> GaussianScore {
        let sample = Array(set.trainIndices.prefix(20_000))
        let images = FloatBuffer(count: sample.count * network.inputShape.size)
        set.images.copyImages(sample, into: images.pointer)
        let feats = try network.representations([layer], of: images.pointer, count: sample.count, arithmetic: arithmetic, batchInvariant: true)[0]
        let d = try network.representationSize(layer)
        return GaussianScore.fit(
            feats.pointer, labels: sample.map { set.images.labels[$0] }, count: sample.count, dimension: d, classes: network.classCount)
    }
}

extension DetectorSetup {
    /// The training images' arrival ranges for the `arrival` evidence: from the card's data profile,
    /// or — for a card written before profiles — measured from the training images themselves (as
    /// they arrived: Fashion-MNIST's IDX bytes are 28x28 grey images).
    public func arrivalRanges() throws -> ArrivalRanges {
        let arrivals: DataProfile.Arrivals
        if let profiled = card.profile?.arrivals {
            arrivals = profiled
        } else {
            let set = try training()
            arrivals = DataSurvey.profile(name: "", digest: "", arrivals: DataSurvey.measure(set.images.subset(set.trainIndices))).arrivals
        }
        return ArrivalRanges(
            width: [arrivals.width.min, arrivals.width.max], height: [arrivals.height.min, arrivals.height.max],
            aspectRatio: [arrivals.aspectRatio.min, arrivals.aspectRatio.max], colourfulness: [arrivals.colourfulness.p05, arrivals.colourfulness.p95],
            brightness: [arrivals.brightness.p05, arrivals.brightness.p95], colourFraction: arrivals.colourFraction)
    }
}
