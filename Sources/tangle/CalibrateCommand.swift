import ArgumentParser
import Foundation
import TangleAttacks
import TangleData
import TangleDetector
import TangleEvaluation
import TangleModelStore
import TangleVerdict

struct CalibrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibrate",
        abstract: "Set the verdict thresholds so that a chosen fraction of in-distribution inputs is flagged.",
        discussion: """
            Scores the model's held-out calibration split, FGSM/BIM attacks generated from it (plus any --attack-set, \
            e.g. made on another model) and outlier examples (pixel-shuffled and inverted calibration images, plus any --outliers), then writes calibration.json and \
            calibration.svg into the model folder. Everything that judges (classify, evaluate, watch) refuses a model \
            folder without a calibration made for its weights.
            """)

    @Option(help: "Model folder.")
    var model = "models/fashion-mnist"

    @Option(name: .customLong("target-fpr"), help: "Fraction of in-distribution inputs to flag (false-flag rate).")
    var targetFPR = 0.05

    @Option(help: "Folder with the training data (default: the one the model card names).")
    var data: String?

    @Option(help: "Cache folder for neighbour indexes (default $XDG_CACHE_HOME/tangle).")
    var cache: String?

    @Option(parsing: .singleValue, help: "Outlier examples NAME=PATH (an IDX image file, a folder with one, or any folder of images); repeatable. Never the evaluation set.")
    var outliers: [String] = []

    @Option(help: "Attacks generated from the calibration split, for routing (default: fgsm:0.05,fgsm:0.1,fgsm:0.2,fgsm:0.3,bim:0.1,pgd-l2:2 for data on a dark uniform background, as Fashion-MNIST; fgsm:0.0078,fgsm:0.0157,fgsm:0.0314,bim:0.0157,bim:0.0314,pgd-l2:0.5 — 2/255, 4/255, 8/255 — for photographs).")
    var attacks: String?

    @Option(
        parsing: .singleValue,
        help: "Attack images NAME=DIR written by `tangle attack --test calibration`, on this model or another (transferred), added to the routing mixture; repeatable. Never attacks on the evaluation set.")
    var attackSet: [String] = []

    @Option(help: "Evidence of 'outlier', comma-separated (default: knn_<pooling layer> for the first two, energy, arrival_size and arrival_colour: how far the input as it arrived lies outside the training images' sizes and colour; and for data on a dark uniform background edge_to_edge and span_shortfall: how the content sits in the frame).")
    var outlierEvidence: String?

    @Option(help: "Evidence of 'adversarial', comma-separated (default: neighbours_<first pooling layer>, knn_<first hidden dense layer>, mahalanobis, squeeze, and for data on a dark uniform background roughness_2, roughness_8).")
    var adversarialEvidence: String?

    @Option(help: "Evidence of perturbation noise, its own group with its own share of the false-flag budget, comma-separated, or 'none' (default: roughness_8 for data on a dark uniform background, and noise_floor).")
    var perturbationEvidence: String?

    @Option(help: "The perturbation group's share of the target false-flag rate, between 0 and 1.")
    var perturbationShare: Double = Calibrator.defaultPerturbationShare

    func run() throws {
        // Refuse a target the split cannot resolve before any expensive work.
        let card = try ModelFolder(path: model).readCard()
        try Calibrator(targetFalseFlagRate: targetFPR, outlierEvidence: [], adversarialEvidence: []).check(calibrationCount: card.data.calibration.count)
        let setup = try DetectorSetup(model: model, data: data, cache: cache, requireCalibration: false)
        let layers = setup.detector.index.layers.map(\.name)
        let calibrator = Calibrator(
            targetFalseFlagRate: targetFPR,
            outlierEvidence: outlierEvidence.map(list) ?? Calibrator.defaultOutlierEvidence(
                roles: LayerRoles(architecture: setup.network.architecture, among: layers), arrival: true,
                darkBackground: setup.card.profile?.darkBackground ?? true),
            adversarialEvidence: adversarialEvidence.map(list) ?? Calibrator.defaultAdversarialEvidence(
                roles: LayerRoles(architecture: setup.network.architecture, among: layers), darkBackground: setup.card.profile?.darkBackground ?? true),
            perturbationEvidence: perturbationEvidence.map { $0 == "none" ? [] : list($0) }
                ?? Calibrator.defaultPerturbationEvidence(darkBackground: setup.card.profile?.darkBackground ?? true),
            perturbationShare: perturbationShare)
        try calibrator.check(calibrationCount: setup.card.data.calibration.count)
        let attackList = try attacks.map(parseAttacks) ?? CalibrationRun.defaultAttacks(darkBackground: setup.card.profile?.darkBackground ?? true)
        let outlierSets = try outliers.map { spec -> (String, LabelledImages) in
            let (name, path) = try parseNamedPath(spec, option: "--outliers")
            return (name, try EvaluationInputs.outliers(path, card: setup.card))
        }
        let attackSets = try attackSet.map { spec -> (String, LabelledImages) in
            let (name, path) = try parseNamedPath(spec, option: "--attack-set")
            return (name, try EvaluationInputs.attackSet(path, card: setup.card))
        }
        let outcome = try CalibrationRun(setup: setup, calibrator: calibrator, attacks: attackList, outliers: outlierSets, attackSets: attackSets).run()
        let c = outcome.calibration
        try c.write(modelFolder: model)
        let svgPath = (model as NSString).appendingPathComponent("calibration.svg")
        try outcome.svg.write(toFile: svgPath, atomically: true, encoding: .utf8)
        print("calibration \(c.id) for \(c.model) (weights \(c.weightsSha256.prefix(12))…), target false-flag rate \(c.targetFalseFlagRate)")
        print(String(format: "  verdict threshold %.3f; routing bias %.3f", c.verdictThreshold, c.routingBias))
        print("  outlier evidence: \(c.outlierGroup.evidence.joined(separator: ", "))")
        print("  adversarial evidence: \(c.adversarialGroup.evidence.joined(separator: ", "))")
        if let g = c.perturbationGroup, let offset = c.perturbationOffset {
            print(String(format: "  perturbation evidence: %@ (offset %.3f onto the verdict scale)", g.evidence.joined(separator: ", "), offset))
        }
        print(String(format: "  calibration split flagged: %d/%d (%.1f%%)", c.achieved.calibrationFlagged.count, c.achieved.calibrationFlagged.total, 100 * c.achieved.calibrationFlagged.rate))
        for (name, r) in c.achieved.attacks.sorted(by: { $0.key < $1.key }) {
            print(String(format: "  %@: flagged %d/%d (%.1f%%), routed adversarial %.1f%% of flagged", name, r.flagged.count, r.flagged.total, 100 * r.flagged.rate, 100 * r.routed.rate))
        }
        for (name, r) in c.achieved.outliers.sorted(by: { $0.key < $1.key }) {
            print(String(format: "  %@: flagged %d/%d (%.1f%%), routed outlier %.1f%% of flagged", name, r.flagged.count, r.flagged.total, 100 * r.flagged.rate, 100 * r.routed.rate))
        }
        print("wrote \((model as NSString).appendingPathComponent(VerdictCalibration.fileName)) and \(svgPath)")
    }

    private func list(_ s: String) -> [String] { s.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
}

/// Parses `fgsm:0.1,bim:0.1`.
func parseAttacks(_ text: String) throws -> [Attack] {
    try text.split(separator: ",").map { item -> Attack in
        guard let a = Attack(String(item)) else { throw ValidationError("unknown attack '\(item)'; use fgsm:EPS, bim:EPS, pgd-linf:EPS or pgd-l2:EPS") }
        return a
    }
}

/// Parses `NAME=PATH`.
func parseNamedPath(_ spec: String, option: String) throws -> (String, String) {
    let parts = spec.split(separator: "=", maxSplits: 1).map(String.init)
    guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { throw ValidationError("\(option) takes NAME=PATH, got '\(spec)'") }
    return (parts[0], parts[1])
}
