import Foundation
import TangleDkNN
import TangleFiles

/// The thresholds and references `tangle calibrate` writes to a model folder's
/// `calibration.json`: everything the verdict rule compares an input with. Thresholds are data,
/// measured on the held-out calibration split; none is a constant in code.
public struct VerdictCalibration: Codable, Sendable {
    /// Format version.
    public var schema = 1
    /// A short identifier of this calibration (from a SHA-256 of its content), logged with every verdict.
    public var id: String
    /// When it was made (RFC 3339).
    public var created: String
    /// The model's name.
    public var model: String
    /// The SHA-256 of the weights file it was made for.
    public var weightsSha256: String
    /// The fraction of in-distribution inputs the thresholds flag.
    public var targetFalseFlagRate: Double
    /// Neighbours counted per layer (DkNN).
    public var k: Int
    /// The neighbour whose distance is the distance score.
    public var kDistance: Int
    /// The neighbour-index layers, in order.
    public var layers: [String]
    /// How the neighbour index the references were measured with is built (judging uses the same).
    public var index: NeighborIndex.Settings?
    /// Class names.
    public var classNames: [String]
    /// Calibration inputs.
    public var calibrationCount: Int
    /// DkNN nonconformity of each calibration input at its true label (the conformal calibration).
    public var conformalNonconformity: [Int]
    /// What is normal for every piece of evidence.
    public var references: [EvidenceReference]
    /// The evidence of "unlike the training data".
    public var outlierGroup: GroupReference
    /// The evidence of "pushed across a class boundary".
    public var adversarialGroup: GroupReference
    /// The **perturbation** group (``Calibrator/defaultPerturbationEvidence(darkBackground:)``): the
    /// input's own noise, weighed apart from the representation evidence with its own share of
    /// the false-flag budget; nil in calibrations made before it, which judge as they always did.
    public var perturbationGroup: GroupReference?
    /// Added to the perturbation group's calibrated score so that ``verdictThreshold`` flags the
    /// group's share of the calibration split: `verdict_threshold −` the group's own threshold.
    public var perturbationOffset: Double?
    /// `verdict_score` above this is flagged.
    public var verdictThreshold: Double
    /// A flagged input is an outlier when `outlier_score − adversarial_score` exceeds this.
    public var routingBias: Double
    /// Per layer, what is normal (shown in records and reasons).
    public var layerThresholds: [String: LayerThresholds]
    /// Rates achieved on the calibration data, with counts.
    public var achieved: Achieved
    /// The training images' arrival ranges the `arrival` evidence measures inputs against (absent in
    /// calibrations made before it existed).
    public var arrival: ArrivalRanges?

    /// What is normal for one piece of evidence.
    public struct EvidenceReference: Codable, Sendable {
        /// The evidence.
        public var evidence: Evidence
        /// Its calibration values (larger = more abnormal).
        public var all: TailReference
        /// Per predicted class, for per-class evidence.
        public var perClass: [TailReference]?

        /// The reference an input predicted as `predicted` is compared with: its class's when
        /// that class has enough calibration points to resolve the target rate, else all.
        public func reference(predicted: Int, minimum: Int) -> TailReference {
            if let perClass, predicted < perClass.count, perClass[predicted].count >= minimum { return perClass[predicted] }
            return all
        }
    }

    /// A group of evidence combined by Fisher's method and calibrated.
    public struct GroupReference: Codable, Sendable {
        /// The evidence names (``Evidence/description``).
        public var evidence: [String]
        /// Calibration values of `Σ −log p` over the group.
        public var sums: TailReference
    }

    /// What is normal in one layer.
    public struct LayerThresholds: Codable, Sendable, Equatable {
        /// Per predicted class: neighbours of that class at or above this count are normal.
        public var predictedClassNeighbours: [Int]
        /// A k-th-neighbour distance at or below this is normal.
        public var distance: Double
    }

    /// A measured rate.
    public struct Rate: Codable, Sendable, Equatable {
        /// Inputs counted.
        public var count: Int
        /// Out of.
        public var total: Int
        /// `count / total`.
        public var rate: Double

        /// Creates a rate.
        public init(count: Int, total: Int) {
            self.count = count
            self.total = total
            rate = total > 0 ? Double(count) / Double(total) : 0
        }
    }

    /// Rates achieved on the calibration data.
    public struct Achieved: Codable, Sendable {
        /// In-distribution calibration inputs flagged.
        public var calibrationFlagged: Rate
        /// Per attack on the calibration split: flagged, and of the flagged, routed `adversarial`.
        public var attacks: [String: RoutedRate]
        /// Per outlier set: flagged, and of the flagged, routed `outlier`.
        public var outliers: [String: RoutedRate]
    }

    /// Flagged and correctly routed.
    public struct RoutedRate: Codable, Sendable, Equatable {
        /// Flagged of all.
        public var flagged: Rate
        /// Routed to the right kind, of the flagged.
        public var routed: Rate
    }
}

extension VerdictCalibration {
    /// The JSON encoder calibration files are written with (snake_case keys, sorted, pretty).
    public static var encoder: JSONEncoder { SnakeCaseJSON.encoder(pretty: true) }

    /// The matching decoder.
    public static var decoder: JSONDecoder { SnakeCaseJSON.decoder }

    /// The file name inside a model folder.
    public static let fileName = "calibration.json"

    /// Reads a model folder's calibration (a regular file of at most ``maximumFileBytes``; a FIFO
    /// is refused, not waited on), checks it was made for `weightsSha256` and that every value
    /// is in its range (``problem()``).
    /// - Throws: ``CalibrationError`` when it is missing, unreadable, for other weights or out of range.
    public static func load(modelFolder: String, weightsSha256: String) throws -> VerdictCalibration {
        let path = (modelFolder as NSString).appendingPathComponent(fileName)
        let data: Data
        do { data = Data(try RegularFile.read(path, maxBytes: maximumFileBytes)) } catch {
            if error.kind == .missing { throw CalibrationError.missing(modelFolder: modelFolder) }
            throw CalibrationError.unreadable(path: path, detail: error.reason)
        }
        let c: VerdictCalibration
        do { c = try decoder.decode(VerdictCalibration.self, from: data) } catch {
            throw CalibrationError.unreadable(path: path, detail: "\(error)")
        }
        guard c.weightsSha256 == weightsSha256 else {
            throw CalibrationError.otherWeights(modelFolder: modelFolder, calibrated: c.weightsSha256, actual: weightsSha256)
        }
        if let problem = c.problem() { throw CalibrationError.invalid(modelFolder: modelFolder, problem: problem) }
        return c
    }

    /// Writes it into a model folder atomically.
    public func write(modelFolder: String) throws {
        let path = (modelFolder as NSString).appendingPathComponent(Self.fileName)
        try Self.encoder.encode(self).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}

/// Why a calibration cannot be made or used.
public enum CalibrationError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The model folder has no `calibration.json`.
    case missing(modelFolder: String)
    /// The file is not a calibration.
    case unreadable(path: String, detail: String)
    /// It was made for other weights.
    case otherWeights(modelFolder: String, calibrated: String, actual: String)
    /// It was made with another neighbour index.
    case otherIndex(modelFolder: String)
    /// The target rate is finer than the calibration split can resolve.
    case targetTooFine(target: Double, calibrationCount: Int, needed: Int)
    /// The target rate is not a rate.
    case invalidTarget(Double)
    /// The perturbation group's share of the budget is not in (0, 1).
    case invalidShare(Double)
    /// A value in `calibration.json` is outside its range (see ``VerdictCalibration/problem()``).
    case invalid(modelFolder: String, problem: String)

    public var description: String {
        switch self {
        case .missing(let m):
            "\(m) has no calibration.json: run `tangle calibrate --model \(m)` before judging with it"
        case .unreadable(let p, let d):
            "\(p) is not a Tangle calibration (\(d)): run `tangle calibrate` again to rewrite it"
        case .otherWeights(let m, let c, let a):
            "\(m)/calibration.json was made for weights \(c.prefix(12))…, but the weights are \(a.prefix(12))…: run `tangle calibrate --model \(m)` again"
        case .otherIndex(let m):
            "\(m)/calibration.json was measured with another kind of neighbour index than this version of Tangle builds: run `tangle calibrate --model \(m)` again"
        case .targetTooFine(let t, let n, let needed):
            "a false-flag rate of \(t) cannot be resolved by \(n) calibration points (1/n = \(String(format: "%.4g", 1 / Double(max(n, 1))))): it needs at least \(needed); choose a target ≥ \(String(format: "%.4g", 1 / Double(max(n, 1)))) or retrain with a larger calibration split"
        case .invalidTarget(let t):
            "the target false-flag rate must be between 0 and 1, got \(t)"
        case .invalidShare(let s):
            "the perturbation evidence's share of the false-flag budget must be between 0 and 1 (exclusive), got \(s): pass e.g. --perturbation-share 0.2"
        case .invalid(let m, let p):
            "\(m)/calibration.json is refused: \(p); the file is damaged or was edited: run `tangle calibrate --model \(m)` again to rewrite it"
        }
    }
}
