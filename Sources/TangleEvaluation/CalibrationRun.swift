import Foundation
import TangleAttacks
import TangleData
import TangleDataSource
import TangleDetector
import TangleDkNN
import TangleNetwork
import TangleProgress
import TangleReport
import TangleSeparation
import TangleTensor
import TangleVerdict

/// `tangle calibrate`: scores the held-out calibration split, attacks generated from it and
/// outlier examples (synthetic ones made from it — pixel-shuffled and inverted images — plus any
/// the user gives), each with what it looked like when it arrived, and makes the verdict calibration.
public struct CalibrationRun {
    /// The opened model (without a calibration).
    public var setup: DetectorSetup
    /// The calibrator.
    public var calibrator: Calibrator
    /// Attacks generated from the calibration split.
    public var attacks: [Attack]
    /// Extra outlier sets (name, images).
    public var outliers: [(String, LabelledImages)]
    /// Attack images made elsewhere (name, images): `tangle attack` folders, on this model or on
    /// another one (transferred), scored with the generated attacks so routing is set on both.
    public var attackSets: [(String, LabelledImages)]

    /// Creates a run.
    public init(
        setup: DetectorSetup, calibrator: Calibrator, attacks: [Attack], outliers: [(String, LabelledImages)],
        attackSets: [(String, LabelledImages)] = []
    ) {
        self.setup = setup
        self.calibrator = calibrator
        self.attacks = attacks
        self.outliers = outliers
        self.attackSets = attackSets
    }

    /// The default attacks: FGSM at three strengths, BIM, and PGD-L2 (an attack of the other norm, so
    /// routing is set on a mixture).
    public static let defaultAttacks = [
        Attack(method: .fgsm, eps: 0.05), Attack(method: .fgsm, eps: 0.1), Attack(method: .fgsm, eps: 0.2), Attack(method: .fgsm, eps: 0.3),
        Attack(method: .bim, eps: 0.1),
        Attack(method: .pgdL2, eps: 2),
    ]

    /// The default attacks for a model's data: on a dark uniform background (Fashion-MNIST-like)
    /// ``defaultAttacks``; on photographs the strengths usual for them, FGSM at 2/255, 4/255 and
    /// 8/255, BIM at 4/255 and 8/255 (written to four places as a user types them, `fgsm:0.0078`;
    /// an FGSM step of 0.1 is a visible change to a photo) and PGD-L2 at 0.5.
    public static func defaultAttacks(darkBackground: Bool) -> [Attack] {
        if darkBackground { return defaultAttacks }
        return [Float(0.0078), 0.0157, 0.0314].map { Attack(method: .fgsm, eps: $0) } + [Float(0.0157), 0.0314].map { Attack(method: .bim, eps: $0) }
            + [Attack(method: .pgdL2, eps: 0.5)]
    }

    /// The outcome: the calibration and the verdict scores behind its chart.
    public struct Outcome {
        /// The calibration.
        public var calibration: VerdictCalibration
        /// The chart (SVG).
        public var svg: String
    }

    /// Runs it.
    public func run() throws -> Outcome {
        let set = try setup.training()
        let network = setup.network
        let detector = setup.detector
        let size = network.inputShape.size
        let n = set.calibrationIndices.count
        try calibrator.check(calibrationCount: n)
        let labels = set.calibrationIndices.map { set.images.labels[$0] }
        let clean = FloatBuffer(count: n * size)
        set.images.copyImages(set.calibrationIndices, into: clean.pointer)
        let scoring = ProgressScoring(detector: detector, label: "calibrate", total: n * (1 + attacks.count + 2) + (outliers + attackSets).reduce(0) { $0 + $1.1.count })
        let score = scoring.score
        let shape = network.inputShape
        let cleanScores = Self.arrived(detector.calibrate(clean.pointer, labels: labels, count: n), DataSurvey.arrivals(of: set.images.subset(set.calibrationIndices)))
        scoring.advance(n)
        var attackScores: [(String, [InputScores])] = []
        let ws = Workspace(network: network, capacity: 250, trainable: true, inputGradient: true)
        for attack in attacks {
            let x = FloatBuffer(count: n * size)
            x.pointer.update(from: clean.pointer, count: n * size)
            labels.withUnsafeBufferPointer { attack.perturb(x.pointer, labels: $0.baseAddress!, count: n, network: network, workspace: ws) }
            attackScores.append((attack.description, Self.arrived(score(x.pointer, n), DataSurvey.arrivals(pixels: x.pointer, count: n, shape: shape))))
        }
        for (name, images) in attackSets {
            attackScores.append((name, try Self.scored(images, name: name, shape: network.inputShape, score: score)))
        }
        var outlierScores: [(String, [InputScores])] = []
        for (name, make) in SyntheticOutliers.all {
            let x = FloatBuffer(count: n * size)
            var rng = SeededGenerator(seed: 7)
            for i in 0..<n { make(clean.pointer + i * size, x.pointer + i * size, size, &rng) }
            outlierScores.append((name, Self.arrived(score(x.pointer, n), DataSurvey.arrivals(pixels: x.pointer, count: n, shape: shape))))
        }
        for (name, images) in outliers {
            outlierScores.append((name, try Self.scored(images, name: name, shape: network.inputShape, score: score)))
        }
        scoring.finish()
        let card = setup.card
        var calibrator = self.calibrator
        if calibrator.arrivalRanges == nil { calibrator.arrivalRanges = try setup.arrivalRanges() }
        let calibration = try calibrator.calibrate(
            subject: .init(
                model: card.name, weightsSha256: card.weightsSHA256, layers: detector.index.layers.map(\.name), classNames: card.classNames,
                k: detector.k, kDistance: detector.kDistance, index: detector.index.settings),
            clean: cleanScores, labels: labels, attacks: attackScores, outliers: outlierScores)
        return Outcome(calibration: calibration, svg: Self.chart(calibration, clean: cleanScores, attacks: attackScores, outliers: outlierScores))
    }

    /// Scores a set of images given by the user, with what they looked like when they arrived.
    static func scored(
        _ images: LabelledImages, name: String, shape: Shape3, score: (UnsafePointer<Float>, Int) -> [InputScores]
    ) throws -> [InputScores] {
        let size = shape.size
        guard images.imageSize == size else {
            throw CalibrationError.unreadable(path: name, detail: "its images are \(images.rows)x\(images.columns), the model takes \(shape)")
        }
        let x = FloatBuffer(count: images.count * size)
        images.copyImages(0..<images.count, into: x.pointer)
        return arrived(score(x.pointer, images.count), DataSurvey.arrivals(of: images))
    }

    /// Scores with what their inputs looked like when they arrived (for the `arrival` evidence).
    static func arrived(_ scores: [InputScores], _ arrivals: [ArrivalStatistics]) -> [InputScores] {
        zip(scores, arrivals).map { s, a in
            var s = s
            s.arrival = a
            return s
        }
    }

    /// Histograms of the three scores for calibration inputs, attacks and outliers, with the threshold.
    static func chart(
        _ c: VerdictCalibration, clean: [InputScores], attacks: [(String, [InputScores])], outliers: [(String, [InputScores])]
    ) -> String {
        let rule = VerdictRule(calibration: c)
        func judged(_ set: [InputScores]) -> [RuleJudgementScores] { set.map { RuleJudgementScores(rule.judge($0)) } }
        var groups: [(String, [RuleJudgementScores])] = [("calibration (in-distribution)", judged(clean))]
        groups.append(("attacks (" + attacks.map(\.0).joined(separator: ", ") + ")", judged(attacks.flatMap(\.1))))
        groups.append(("outliers (" + outliers.map(\.0).joined(separator: ", ") + ")", judged(outliers.flatMap(\.1))))
        func panel(_ title: String, _ value: (RuleJudgementScores) -> Double, threshold: Double?) -> LineChart.Panel {
            let all = groups.flatMap { $0.1.map(value) }.filter(\.isFinite)
            let hi = max(all.max() ?? 1, 1e-9), bins = 40
            var series: [LineChart.Series] = []
            for (name, js) in groups where !js.isEmpty {
                var h = [Double](repeating: 0, count: bins)
                for j in js { h[min(bins - 1, max(0, Int(value(j) / hi * Double(bins))))] += 1 }
                let width = hi / Double(bins), total = Double(js.count)
                var points: [(Double, Double)] = []
                for (b, c) in h.enumerated() { points.append(((Double(b) + 0.5) * width, c / total)) }
                series.append(LineChart.Series(name: name, points: points))
            }
            let top = series.flatMap { $0.points.map(\.1) }.max() ?? 1
            if let threshold {
                series.append(LineChart.Series(name: String(format: "threshold %.2f (flags %.1f%% of calibration)", threshold, 100 * c.achieved.calibrationFlagged.rate), points: [(threshold, 0), (threshold, top)]))
            }
            return LineChart.Panel(title: title, yLabel: "fraction of inputs", series: series)
        }
        return LineChart(
            title: "Verdict calibration \(c.id) — target false-flag rate \(c.targetFalseFlagRate)", xLabel: "score (−log calibrated p-value)",
            panels: [
                panel("verdict_score", \.verdict, threshold: c.verdictThreshold),
                panel("outlier_score", \.outlier, threshold: nil),
                panel("adversarial_score", \.adversarial, threshold: nil),
            ] + (c.perturbationGroup == nil ? [] : [panel("perturbation_score (offset onto the verdict scale)", { $0.perturbation ?? 0 }, threshold: c.verdictThreshold)])
        ).svg()
    }
}

/// The three scores of a judgement.
struct RuleJudgementScores {
    var verdict: Double, outlier: Double, adversarial: Double, perturbation: Double?
    init(_ j: VerdictRule.Judgement) {
        perturbation = j.perturbationScore
        verdict = j.verdictScore
        outlier = j.outlierScore
        adversarial = j.adversarialScore
    }
}
