import Foundation
import TangleAttacks
import TangleData
import TangleDataSource
import TangleDetector
import TangleDkNN
import TangleNetwork
import TangleProgress
import TangleReport
import TangleTensor
import TangleVerdict

/// The detector report behind `tangle evaluate --ood … --attacks …`: every score and the
/// calibrated verdict rule on the in-distribution test set, on each outlier set and on each
/// attack generated from the test set.
public struct DetectorEvaluation {
    /// The model folder.
    public var model: String
    /// The training data folder override.
    public var data: String?
    /// Outlier sets as (name, images).
    public var oodSets: [(String, LabelledImages)]
    /// The attacks.
    public var attacks: [Attack]
    /// Test images attacked.
    public var attackCount: Int
    /// The cache folder override.
    public var cache: String?
    /// Layers wider than this are reduced to it in the index (nil: the index's default).
    public var indexDimension: Int?
    /// How the index stores features (nil: the index's default).
    public var indexStorage: NeighborIndex.Settings.Storage?
    /// Calibrate in memory with this index instead of reading `calibration.json` (used to compare
    /// index settings, e.g. exact full-dimension search, each with its own thresholds).
    public var recalibrate = false
    /// When set, every input's scores and pixels are written here (design experiments).
    public var dumpDirectory: String?
    /// The test set: a class folder or an IDX pair (nil: Fashion-MNIST's, for a model trained on it).
    public var testPath: String?
    /// Attack sets as (name, images labelled with their true class): folders written by `tangle attack`,
    /// possibly on another model (the black-box setting). Reported under `attacks.<name>`; an image
    /// counts as fooling the model when its prediction is not its true class.
    public var attackSets: [(String, LabelledImages)] = []

    /// Creates an evaluation.
    public init(
        model: String, data: String?, oodSets: [(String, LabelledImages)], attacks: [Attack], attackCount: Int, cache: String?,
        indexDimension: Int?, indexStorage: NeighborIndex.Settings.Storage? = nil
    ) {
        self.model = model
        self.data = data
        self.oodSets = oodSets
        self.attacks = attacks
        self.attackCount = attackCount
        self.cache = cache
        self.indexDimension = indexDimension
        self.indexStorage = indexStorage
    }

    /// The report and the reliability diagram (SVG).
    public struct Outcome {
        /// The report.
        public var report: DetectionReport
        /// Accuracy per credibility bin, clean and per attack (SVG).
        public var reliabilitySVG: String
    }

    /// Runs it.
    public func run() throws -> Outcome {
        let setup = try DetectorSetup(model: model, data: data, cache: cache, indexDimension: indexDimension, indexStorage: indexStorage,
            requireCalibration: !recalibrate)
        let rule: VerdictRule
        if let r = setup.rule {
            rule = r
        } else {
            let layers = setup.detector.index.layers.map(\.name)
            let calibrator = Calibrator(
                targetFalseFlagRate: 0.05,
                outlierEvidence: Calibrator.defaultOutlierEvidence(
                    roles: LayerRoles(architecture: setup.network.architecture, among: layers), arrival: true,
                    darkBackground: setup.card.profile?.darkBackground ?? true),
                adversarialEvidence: Calibrator.defaultAdversarialEvidence(
                roles: LayerRoles(architecture: setup.network.architecture, among: layers), darkBackground: setup.card.profile?.darkBackground ?? true),
                perturbationEvidence: Calibrator.defaultPerturbationEvidence(darkBackground: setup.card.profile?.darkBackground ?? true))
            rule = VerdictRule(
                calibration: try CalibrationRun(setup: setup, calibrator: calibrator, attacks: CalibrationRun.defaultAttacks(darkBackground: setup.card.profile?.darkBackground ?? true), outliers: []).run().calibration)
        }
        let network = setup.network, detector = setup.detector
        let layers = detector.index.layers.map(\.name)
        let test = try EvaluationInputs.test(card: setup.card, path: testPath, data: data)
        let size = network.inputShape.size
        let scoring = ProgressScoring(
            detector: detector, label: "evaluate",
            total: test.count + oodSets.reduce(0) { $0 + $1.1.count } + attacks.count * min(attackCount, test.count) + attackSets.reduce(0) { $0 + $1.1.count })
        let score = scoring.score
        var confusion: [String: [String: Int]] = [:]
        func count(_ kind: Verdict, _ js: [VerdictRule.Judgement]) {
            for j in js { confusion[kind.rawValue, default: [:]][j.verdict.rawValue, default: 0] += 1 }
        }

        let testX = FloatBuffer(count: test.count * size)
        test.copyImages(0..<test.count, into: testX.pointer)
        let shape = network.inputShape
        let testScores = CalibrationRun.arrived(score(testX.pointer, test.count), DataSurvey.arrivals(of: test))
        let testJudged = testScores.map(rule.judge)
        count(.inDistribution, testJudged)
        try dump("clean", testScores, labels: test.labels, images: testX.pointer, count: test.count, imageSize: size)
        let accuracy = Self.fraction(zip(testScores, test.labels).map { $0.prediction == Int($1) })
        let dknnAccuracy = Self.fraction(zip(testScores, test.labels).map { $0.dknn!.prediction == Int($1) })
        let negatives = DetectionReport.scoreTable(testScores, testJudged, layers: layers)
        var reliability: [(String, [InputScores], [Int32])] = [("clean", testScores, test.labels)]

        /// A set read from files: checked for the model's size, scored with its arrivals, judged, counted as `kind`, dumped.
        func judgeSet(_ label: String, _ name: String, _ images: LabelledImages, as kind: Verdict) throws -> ([InputScores], [VerdictRule.Judgement]) {
            guard images.imageSize == size else {
                throw EvaluationError.shape("\(label) \(name) has \(images.rows)x\(images.columns) images; the model takes \(network.inputShape)")
            }
            let x = FloatBuffer(count: images.count * size)
            images.copyImages(0..<images.count, into: x.pointer)
            let s = CalibrationRun.arrived(score(x.pointer, images.count), DataSurvey.arrivals(of: images))
            let j = s.map(rule.judge)
            count(kind, j)
            try dump((kind == .outlier ? "ood-" : "set-") + name, s, labels: images.labels, images: x.pointer, count: images.count, imageSize: size)
            return (s, j)
        }

        var ood: [String: SetFigures] = [:]
        for (name, images) in oodSets {
            let (s, j) = try judgeSet("outlier set", name, images, as: .outlier)
            ood[name] = DetectionReport.figures(
                negatives: negatives, positives: DetectionReport.scoreTable(s, j, layers: layers), judgements: j, rightKind: .outlier)
        }
        var attackFigures: [String: AttackFigures] = [:]
        let n = min(attackCount, test.count)
        let cleanNegatives = DetectionReport.scoreTable(Array(testScores.prefix(n)), Array(testJudged.prefix(n)), layers: layers)
        let ws = Workspace(network: network, capacity: 250, trainable: true, inputGradient: true)
        let labels = Array(test.labels.prefix(n))
        for attack in attacks {
            let x = FloatBuffer(count: n * size)
            x.pointer.update(from: testX.pointer, count: n * size)
            labels.withUnsafeBufferPointer { attack.perturb(x.pointer, labels: $0.baseAddress!, count: n, network: network, workspace: ws) }
            let s = CalibrationRun.arrived(score(x.pointer, n), DataSurvey.arrivals(pixels: x.pointer, count: n, shape: shape))
            let j = s.map(rule.judge)
            count(.adversarial, j)
            try dump(attack.name, s, labels: labels, images: x.pointer, count: n, imageSize: size)
            reliability.append((attack.name, s, labels))
            // Fooled: the attack changed the prediction.
            attackFigures[attack.name] = Self.attackFigures(
                s, j, labels: labels, fooled: (0..<n).map { s[$0].prediction != testScores[$0].prediction }, negatives: cleanNegatives,
                layers: layers)
        }
        for (name, images) in attackSets {
            guard attackFigures[name] == nil else {
                throw EvaluationError.input("--attack-set \(name) has the name of an attack in --attacks: name it otherwise")
            }
            let (s, j) = try judgeSet("attack set", name, images, as: .adversarial)
            reliability.append((name, s, images.labels))
            // Fooled: the prediction is not the true class the file name carries.
            attackFigures[name] = Self.attackFigures(
                s, j, labels: images.labels, fooled: zip(s, images.labels).map { $0.prediction != Int($1) }, negatives: negatives, layers: layers)
        }
        scoring.finish()
        let report = DetectionReport(
            calibration: rule.calibration.id, accuracy: accuracy, dknnAccuracy: dknnAccuracy,
            meanCredibility: testScores.map { $0.dknn!.credibility }.reduce(0, +) / Double(test.count),
            falseFlagRate: Self.fraction(testJudged.map { $0.verdict != .inDistribution }), testCount: test.count, ood: ood,
            attacks: attackFigures, verdicts: confusion, indexBytes: detector.index.bytes, indexBuildSeconds: setup.indexBuild.seconds)
        return Outcome(report: report, reliabilitySVG: Self.reliabilityChart(reliability))
    }

    /// An attack's figures: accuracy, DkNN accuracy and credibility on the attacked images, and the
    /// detection figures, with the flagged fraction of those `fooled` marks.
    static func attackFigures(
        _ s: [InputScores], _ j: [VerdictRule.Judgement], labels: [Int32], fooled: [Bool], negatives: [String: [Double]], layers: [String]
    ) -> AttackFigures {
        let flagged = j.map { $0.verdict != .inDistribution }
        let detection = DetectionReport.figures(
            negatives: negatives, positives: DetectionReport.scoreTable(s, j, layers: layers), judgements: j, rightKind: .adversarial)
        let fooledIndices = fooled.indices.filter { fooled[$0] }
        return AttackFigures(
            accuracy: fraction(zip(s, labels).map { $0.prediction == Int($1) }),
            dknnAccuracy: fraction(zip(s, labels).map { $0.dknn!.prediction == Int($1) }),
            meanCredibility: s.map { $0.dknn!.credibility }.reduce(0, +) / Double(max(s.count, 1)),
            flagged: detection.flagged, flaggedSuccessful: fraction(fooledIndices.map { flagged[$0] }), successful: fooledIndices.count,
            routed: detection.routed, detection: detection, auroc: detection.auroc)
    }

    static func fraction(_ flags: [Bool]) -> Double { flags.isEmpty ? 0 : Double(flags.filter { $0 }.count) / Double(flags.count) }

    /// DkNN accuracy per credibility bin (Papernot & McDaniel 2018, Figure 9), one series per set.
    static func reliabilityChart(_ sets: [(String, [InputScores], [Int32])]) -> String {
        let bins = 10
        var accuracy: [LineChart.Series] = [], share: [LineChart.Series] = []
        for (name, s, labels) in sets {
            var right = [Double](repeating: 0, count: bins), total = [Double](repeating: 0, count: bins)
            for (x, y) in zip(s, labels) {
                guard let d = x.dknn else { continue }
                let b = min(bins - 1, Int(d.credibility * Double(bins)))
                total[b] += 1
                if d.prediction == Int(y) { right[b] += 1 }
            }
            let centre = { (b: Int) in (Double(b) + 0.5) / Double(bins) }
            accuracy.append(.init(name: name, points: (0..<bins).filter { total[$0] > 0 }.map { (centre($0), right[$0] / total[$0]) }))
            share.append(.init(name: name, points: (0..<bins).map { (centre($0), total[$0] / Double(max(s.count, 1))) }))
        }
        accuracy.append(.init(name: "perfect calibration", points: [(0, 0), (1, 1)]))
        return LineChart(
            title: "DkNN reliability: accuracy per credibility bin", xLabel: "credibility",
            panels: [.init(title: "accuracy", yLabel: "DkNN accuracy", series: accuracy), .init(title: "inputs per bin", yLabel: "fraction of inputs", series: share)]
        ).svg()
    }

    private func dump(_ name: String, _ s: [InputScores], labels: [Int32], images: UnsafePointer<Float>, count: Int, imageSize: Int) throws {
        guard let dir = dumpDirectory else { return }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        struct Row: Encodable {
            var label: Int32, prediction: Int, probability: Double, lse: Double, counts: [[Int]], distances: [Double]
            var credibility: Double, mahalanobis: Double?, squeeze: Double, roughness: [Double], noiseFloor: Double, coherence: Double
            var edgeToEdge: Double, spanShortfall: Double
        }
        let rows = zip(s, labels).map {
            Row(label: $1, prediction: $0.prediction, probability: $0.probability, lse: $0.logSumExp, counts: $0.labelCounts,
                distances: $0.distances, credibility: $0.dknn?.credibility ?? 0, mahalanobis: $0.mahalanobis, squeeze: $0.squeeze, roughness: $0.roughness,
                noiseFloor: $0.noiseFloor, coherence: $0.coherence, edgeToEdge: $0.framing.edgeToEdge, spanShortfall: $0.framing.spanShortfall)
        }
        try JSONEncoder().encode(rows).write(to: URL(fileURLWithPath: "\(dir)/\(name).json"))
        try Data(bytes: images, count: count * imageSize * 4).write(to: URL(fileURLWithPath: "\(dir)/\(name).f32"))
    }
}

/// Why an evaluation cannot run.
public enum EvaluationError: Error, Sendable, CustomStringConvertible {
    /// Images of the wrong size.
    case shape(String)
    /// Evaluation data that cannot be used as given; the text says what to pass.
    case input(String)

    public var description: String {
        switch self {
        case .shape(let s): s + ": resize them to the model's input first"
        case .input(let s): s
        }
    }
}
