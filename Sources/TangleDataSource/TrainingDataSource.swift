import Foundation
import TangleData
import TangleImage
import TangleImageFolder
import TangleModelStore
import TangleTensor
import TangleDigest
import TangleNetwork

/// The training data a model is trained on and its index is built from: the Fashion-MNIST IDX
/// files, or a folder of labelled images (`DIR/<class name>/*.png|jpg`, the ImageFolder
/// convention), read through the same decoding and preprocessing as the daemon's inputs.
public enum TrainingDataSource {
    /// What kind of data a folder holds: IDX files (`train-images-idx3-ubyte[.gz]`) make it
    /// Fashion-MNIST; anything else is read as an image folder.
    public static func kind(of directory: String) -> String {
        let fm = FileManager.default
        let idx = (directory as NSString).appendingPathComponent("train-images-idx3-ubyte")
        return fm.fileExists(atPath: idx) || fm.fileExists(atPath: idx + ".gz") ? "fashion-mnist" : "image-folder"
    }

    /// Loaded training data.
    public struct Loaded: Sendable {
        /// The images, split into trained-on and held-out calibration parts.
        public var set: TrainingSet
        /// The card's record of it.
        public var source: DataSource
        /// The digests the neighbour index is keyed by.
        public var digests: [String]
        /// For image folders: files skipped and why.
        public var skipped: [SkippedFile]
        /// The test images, when the data has a test split (Fashion-MNIST).
        public var test: LabelledImages?
        /// The model input the images were brought to.
        public var input: Shape3
        /// The data's profile.
        public var profile: DataProfile
    }

    /// Loads a folder for training, holding out a calibration split: a seeded stratified
    /// `calibrationFraction` of every class (an image folder's default 0.1), or, for Fashion-MNIST
    /// without a fraction, the last `calibrationCount` images (the reference's split).
    ///
    /// The input size and channels come from the data unless `input` is given (Fashion-MNIST:
    /// 28x28x1; an image folder: see ``DataSurvey/inputShape(_:)``), and so does the polarity policy
    /// (from the images' borders) unless `polarity` is given (reopening a model's data: its card's).
    public static func loadForTraining(
        directory: String, calibrationCount: Int, calibrationFraction: Double?, seed: UInt64, input: Shape3? = nil, polarity: String? = nil,
        withTest: Bool
    ) throws -> Loaded {
        if kind(of: directory) == "fashion-mnist" {
            let source = FashionMNIST(directory: directory)
            var train = try source.training()
            let files = try source.trainingProvenance().map { FileDigest(path: $0.path, sha256: $0.sha256) }
            var profile = DataSurvey.profile(
                name: "fashion-mnist", digest: SHA256.hex(of: Array(files.map(\.sha256).joined().utf8)), arrivals: DataSurvey.measure(train))
            if let polarity { profile.polarity = polarity }
            let shape = input ?? Shape3(height: train.rows, width: train.columns, channels: 1)
            var test = withTest ? try source.test() : nil
            if shape != Shape3(height: train.rows, width: train.columns, channels: 1) {
                let intake = DataSurvey.preprocessor(input: shape, profile: profile)
                train = try reshaped(train, with: intake)
                test = try test.map { try reshaped($0, with: intake) }
            }
            let set: TrainingSet, split: CalibrationSplit
            if let calibrationFraction {
                let calibration = stratified(labels: train.labels, fraction: calibrationFraction, seed: seed)
                let held = Set(calibration)
                set = TrainingSet(images: train, trainIndices: (0..<train.count).filter { !held.contains($0) }, calibrationIndices: calibration)
                split = CalibrationSplit(rule: "stratified", count: calibration.count, seed: seed, fraction: calibrationFraction)
            } else {
                set = try TrainingSet(holdingOutLast: calibrationCount, of: train)
                split = CalibrationSplit(rule: "last", count: calibrationCount, first: train.count - calibrationCount)
            }
            return Loaded(
                set: set,
                source: DataSource(kind: "fashion-mnist", directory: source.directory, files: files, calibration: split),
                digests: files.map(\.sha256), skipped: [], test: test, input: shape, profile: profile)
        }
        let absolute = URL(fileURLWithPath: directory).standardizedFileURL.path
        let survey = try ImageFolder.survey(absolute)
        let shape = input ?? DataSurvey.inputShape(survey)
        let policy = polarity ?? DataProfile.polarity(for: DataSurvey.borders(survey))
        var intake = DataSurvey.profile(name: (absolute as NSString).lastPathComponent, digest: "", arrivals: survey)
        intake.polarity = policy
        let load = try ImageFolder.load(absolute, preprocessor: DataSurvey.preprocessor(input: shape, profile: intake))
        let recorded = DataLocation.name(of: absolute)
        var profile = DataSurvey.profile(name: recorded.name, digest: load.digest.sha256, arrivals: load.arrivals)
        profile.subfolder = recorded.subfolder
        profile.polarity = policy
        let fraction = calibrationFraction ?? 0.1
        let calibration = stratified(labels: load.images.labels, fraction: fraction, seed: seed)
        let held = Set(calibration)
        let set = TrainingSet(images: load.images, trainIndices: (0..<load.images.count).filter { !held.contains($0) }, calibrationIndices: calibration)
        return Loaded(
            set: set,
            source: DataSource(
                kind: "image-folder", directory: absolute, files: [], count: load.images.count,
                calibration: CalibrationSplit(rule: "stratified", count: calibration.count, seed: seed, fraction: fraction)),
            digests: [load.digest.sha256], skipped: load.skipped, test: nil, input: shape, profile: profile)
    }

    /// Grey images brought to another input through the intake (as a dropped file would be).
    public static func reshaped(_ images: LabelledImages, with preprocessor: Preprocessor) throws -> LabelledImages {
        var pixels: [UInt8] = []
        pixels.reserveCapacity(images.count * preprocessor.rows * preprocessor.columns * preprocessor.channels)
        var arrivals: [ArrivalStatistics] = []
        for i in 0..<images.count {
            let bytes = Array(images.pixels[(i * images.imageSize)..<((i + 1) * images.imageSize)])
            let image = try DecodedImage(width: images.columns, height: images.rows, layout: images.channels == 3 ? .rgb : .gray, format: .png, samples: bytes)
            pixels += preprocessor.process(image).bytes
            if images.arrivals == nil { arrivals.append(.measure(image)) }
        }
        // What arrived is what was reshaped (or what it was read from, when that was recorded).
        var out = try LabelledImages(
            rows: preprocessor.rows, columns: preprocessor.columns, channels: preprocessor.channels, pixels: pixels, labels: images.labels,
            classNames: images.classNames)
        out.arrivals = images.arrivals ?? arrivals
        return out
    }

    /// Opens the data a model card names (or the same kind of data in `override`) with the card's
    /// calibration split, input and polarity policy.
    /// - Throws: when the data is missing or, for an image folder, no longer gives the split the card records.
    public static func open(card: ModelCard, override: String?) throws -> Loaded {
        let directory = try DataLocation.resolve(card: card, override: override)
        let split = card.data.calibration
        let shape = card.architecture.input
        let policy = card.profile?.polarity ?? "invert-light-border"
        guard card.data.kind == "image-folder" || split.rule == "stratified" else {
            return try loadForTraining(
                directory: directory, calibrationCount: split.count, calibrationFraction: nil, seed: 0, input: shape, polarity: policy, withTest: false)
        }
        let fraction = split.fraction ?? 0.1
        let loaded = try loadForTraining(
            directory: directory, calibrationCount: 0, calibrationFraction: fraction, seed: split.seed ?? 0, input: shape, polarity: policy,
            withTest: false)
        guard loaded.set.calibrationIndices.count == split.count else {
            throw DataError.invalid(
                "\(directory) gives a calibration split of \(loaded.set.calibrationIndices.count) images, the model card records \(split.count): the folder changed since training; point --data at the data the model was trained on")
        }
        return loaded
    }

    /// The digests that key the neighbour index, without decoding images.
    public static func digests(card: ModelCard, override: String?) throws -> [String] {
        let directory = try DataLocation.resolve(card: card, override: override)
        if card.data.kind == "image-folder" { return [try ImageFolder.digest(directory).sha256] }
        return try FashionMNIST(directory: directory).trainingProvenance().map(\.sha256)
    }

    /// A seeded, stratified choice of `fraction` of every class (at least one image of a class
    /// with two or more), dealt out class by class — the first of every class, then the second of
    /// every class, … (ascending within a class) — so that any prefix of it (a probe batch, the first
    /// 1,000 for a quick measurement, the samples the daemon seeds) holds every class in proportion.
    /// An image folder is read class by class, so ascending index order would put one class first.
    public static func stratified(labels: [Int32], fraction: Double, seed: UInt64) -> [Int] {
        var byClass: [Int32: [Int]] = [:]
        for (i, l) in labels.enumerated() { byClass[l, default: []].append(i) }
        var rng = SeededGenerator(seed: seed)
        var perClass: [[Int]] = []
        for label in byClass.keys.sorted() {
            let members = byClass[label]!
            guard members.count >= 2 else { continue }
            let take = min(members.count - 1, max(1, Int((fraction * Double(members.count)).rounded())))
            let order = rng.permutation(members.count)
            perClass.append(order.prefix(take).map { members[$0] }.sorted())
        }
        return ClassDealing.deal(perClass)
    }
}
