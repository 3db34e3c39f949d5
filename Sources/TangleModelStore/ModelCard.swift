import TangleDigest
import TangleNetwork

/// How images are turned into the network's input; the image intake follows it.
public struct Preprocessing: Codable, Sendable, Equatable {
    /// Pixel scaling, e.g. `"divide by 255 to [0, 1]"`.
    public var scale: String
    /// Objects are light on a dark background (`"light-on-dark"`), as Fashion-MNIST is.
    public var polarity: String
    /// Colour to grey conversion.
    public var color: String
    /// Resizing rule.
    public var resize: String

    /// The convention for colour models: colour kept, a grey input replicated.
    public static let colour = Preprocessing(
        scale: "pixel / 255, to [0, 1]", polarity: "as the data profile says", color: "RGB kept; grey replicated",
        resize: "as the data profile says (crop: the centre at the input's aspect ratio, area average)")

    /// The Fashion-MNIST convention.
    public static let fashionMNIST = Preprocessing(
        scale: "pixel / 255, to [0, 1]", polarity: "light-on-dark", color: "luma (BT.601)",
        resize: "the centre at the input's aspect ratio, area average")
}

/// The training data a model was trained on: its files' hashes (Fashion-MNIST's IDX files), or,
/// for an image folder, how many files it held and one digest over them all (the data profile's).
public struct DataSource: Codable, Sendable, Equatable {
    /// `"fashion-mnist"` or `"image-folder"`.
    public var kind: String
    /// The folder read, on the machine that trained the model (a hint only: the data is found by name).
    public var directory: String
    /// Every file read, with its SHA-256 — for IDX data. An image folder's thousands of files are
    /// not listed (the card stays small); ``count`` and the profile's digest stand for them.
    public var files: [FileDigest]
    /// How many images were read (decodable files: the training and calibration images together);
    /// `nil` on cards that list ``files``.
    public var count: Int?
    /// The held-out calibration split, never trained on.
    public var calibration: CalibrationSplit

    /// Creates a data source record.
    public init(kind: String, directory: String, files: [FileDigest], count: Int? = nil, calibration: CalibrationSplit) {
        self.kind = kind
        self.directory = directory
        self.files = files
        self.count = count
        self.calibration = calibration
    }

    /// Images (or files) read in training: ``count`` when recorded, else the listed files.
    public var fileCount: Int { count ?? files.count }

    private enum CodingKeys: String, CodingKey { case kind, directory, files, count, calibration }

    /// Decodes a record; `files` may be absent (image-folder cards written before it was always
    /// encoded). The synthesized encoder writes it always (an empty list for an image folder), so
    /// readers of format 1 find the key.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        kind = try c.decode(String.self, forKey: .kind)
        directory = try c.decode(String.self, forKey: .directory)
        files = try c.decodeIfPresent([FileDigest].self, forKey: .files) ?? []
        count = try c.decodeIfPresent(Int.self, forKey: .count)
        calibration = try c.decode(CalibrationSplit.self, forKey: .calibration)
    }
}

/// A file and its SHA-256.
public struct FileDigest: Codable, Sendable, Equatable {
    /// The path.
    public var path: String
    /// Hex SHA-256.
    public var sha256: String

    /// Creates a record.
    public init(path: String, sha256: String) {
        self.path = path
        self.sha256 = sha256
    }
}

/// Which training examples are held out for calibration.
public struct CalibrationSplit: Codable, Sendable, Equatable {
    /// How the split was chosen: `"last"` (the last `count` examples) or `"stratified"`.
    public var rule: String
    /// Examples held out.
    public var count: Int
    /// Index range start for `"last"` (inclusive).
    public var first: Int?
    /// Seed for `"stratified"`.
    public var seed: UInt64?
    /// The fraction of every class held out, for `"stratified"`.
    public var fraction: Double?

    /// Creates a split record.
    public init(rule: String, count: Int, first: Int? = nil, seed: UInt64? = nil, fraction: Double? = nil) {
        self.rule = rule
        self.count = count
        self.first = first
        self.seed = seed
        self.fraction = fraction
    }
}

/// The settings a model was trained with.
public struct Hyperparameters: Codable, Sendable, Equatable {
    /// Images per step.
    public var batchSize: Int
    /// Adam's learning rate.
    public var learningRate: Float
    /// Epochs asked for.
    public var epochs: Int
    /// The seed for initialisation and shuffling.
    public var seed: UInt64
    /// The optimiser, `"adam"`.
    public var optimizer: String
    /// Optimiser steps asked for, when training was bounded by steps rather than epochs (`--steps`).
    public var steps: Int?

    /// Creates a record.
    public init(batchSize: Int, learningRate: Float, epochs: Int, seed: UInt64, optimizer: String = "adam", steps: Int? = nil) {
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.epochs = epochs
        self.seed = seed
        self.optimizer = optimizer
        self.steps = steps
    }
}

/// Measurements at the end of one epoch.
public struct EpochMetrics: Codable, Sendable, Equatable {
    /// 1-based epoch number.
    public var epoch: Int
    /// Mean training loss over the epoch.
    public var trainLoss: Double
    /// Training accuracy over the epoch (running, as the weights changed).
    public var trainAccuracy: Double
    /// Loss on the calibration split.
    public var calibrationLoss: Double
    /// Accuracy on the calibration split.
    public var calibrationAccuracy: Double
    /// Loss on the test set, when one was given.
    public var testLoss: Double?
    /// Accuracy on the test set, when one was given.
    public var testAccuracy: Double?
    /// Training images per second over the epoch.
    public var imagesPerSecond: Double
    /// Wall-clock seconds of the epoch (training plus evaluation).
    public var seconds: Double

    /// Creates a record.
    public init(
        epoch: Int, trainLoss: Double, trainAccuracy: Double, calibrationLoss: Double, calibrationAccuracy: Double,
        testLoss: Double?, testAccuracy: Double?, imagesPerSecond: Double, seconds: Double
    ) {
        self.epoch = epoch
        self.trainLoss = trainLoss
        self.trainAccuracy = trainAccuracy
        self.calibrationLoss = calibrationLoss
        self.calibrationAccuracy = calibrationAccuracy
        self.testLoss = testLoss
        self.testAccuracy = testAccuracy
        self.imagesPerSecond = imagesPerSecond
        self.seconds = seconds
    }
}

/// The model card, `model.json`: everything needed to rebuild, judge and trust a model.
public struct ModelCard: Codable, Sendable, Equatable {
    /// The card format, `"tangle-model"`.
    public var format = "tangle-model"
    /// The card format's version.
    public var formatVersion = 1
    /// The model's name (its folder name by default).
    public var name: String
    /// The Tangle version that wrote it.
    public var toolVersion: String
    /// When the card was written (RFC 3339).
    public var created: String
    /// The network, as data.
    public var architecture: Architecture
    /// The hidden representations later stages read by name (DkNN layers).
    public var representations: [String]
    /// How images become input.
    public var preprocessing: Preprocessing
    /// The training data's profile (absent in cards written before it existed: those are
    /// Fashion-MNIST-like grey models, whose light-bordered inputs are inverted).
    public var profile: DataProfile?
    /// Class names, indexed by label.
    public var classNames: [String]
    /// The training data and calibration split.
    public var data: DataSource
    /// The training settings.
    public var hyperparameters: Hyperparameters
    /// Terms added to the cross-entropy (empty for a cross-entropy-only model).
    public var objective: [ObjectiveTerm]
    /// One record per completed epoch.
    public var epochs: [EpochMetrics]
    /// The epoch whose weights are stored (best calibration accuracy).
    public var selectedEpoch: Int?
    /// How training ended: `"completed"`, `"interrupted"` or `"stopped: ..."`.
    public var status: String
    /// The weights file name inside the folder.
    public var weightsFile: String
    /// Hex SHA-256 of the weights file.
    public var weightsSHA256: String

    enum CodingKeys: String, CodingKey {
        case format, formatVersion, name, toolVersion, created, architecture, representations, preprocessing, profile
        case classNames, data, hyperparameters, objective, epochs, selectedEpoch, status, weightsFile
        case weightsSHA256 = "weightsSha256"
    }

    /// Creates a card.
    public init(
        name: String, toolVersion: String, created: String, architecture: Architecture, representations: [String],
        preprocessing: Preprocessing, profile: DataProfile? = nil, classNames: [String], data: DataSource, hyperparameters: Hyperparameters,
        objective: [ObjectiveTerm] = [], epochs: [EpochMetrics] = [], selectedEpoch: Int? = nil, status: String = "training",
        weightsFile: String = "model.safetensors", weightsSHA256: String = ""
    ) {
        self.name = name
        self.toolVersion = toolVersion
        self.created = created
        self.architecture = architecture
        self.representations = representations
        self.preprocessing = preprocessing
        self.profile = profile
        self.classNames = classNames
        self.data = data
        self.hyperparameters = hyperparameters
        self.objective = objective
        self.epochs = epochs
        self.selectedEpoch = selectedEpoch
        self.status = status
        self.weightsFile = weightsFile
        self.weightsSHA256 = weightsSHA256
    }
}
