import ArgumentParser
import Foundation
import TangleData
import TangleDkNN
import TangleModelStore
import TangleAttacks
import TangleEvaluation
import TangleNetwork
import TangleTraining

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Report a model's test accuracy, or with --ood/--attacks/--detector the full detector report.")

    @Option(help: "Model folder.")
    var model = "models/fashion-mnist"

    @Option(help: "Folder with the training data (default: where the model finds it).")
    var data: String?

    @Option(help: "The test set: a class folder (<class>/*.png|jpg) or a folder with an IDX image + label pair (default: Fashion-MNIST's test set, for Fashion-MNIST models). `calibration` evaluates on the model's own calibration split: design data for choosing evidence (its false-flag rate is set there, never a report).")
    var test: String?

    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    @Option(parsing: .singleValue, help: "An outlier set NAME=PATH (an IDX image file, a folder with t10k-images-idx3-ubyte[.gz], or any folder of images); repeatable. Runs the detector report.")
    var ood: [String] = []

    @Option(help: "White-box attacks made on this model for the detector report, e.g. fgsm:0.05,bim:0.1,pgd-linf:0.1,pgd-l2:2 (PGD: 20 steps of 2.5 eps / 20 from a seeded random start).")
    var attacks: String?

    @Option(parsing: .singleValue, help: "An attack set NAME=DIR: a folder written by `tangle attack`, on this model or another (transferred, black-box); reported under attacks.NAME, an image fooling the model when its prediction is not the true class its file name carries. Repeatable. Runs the detector report.")
    var attackSet: [String] = []

    @Option(help: "Test images attacked.")
    var attackCount = 2000

    @Flag(help: "Run the detector report (DkNN and every score) even without --ood or --attacks.")
    var detector = false

    @Option(help: "Cache folder for neighbour indexes (default $XDG_CACHE_HOME/tangle).")
    var cache: String?

    @Option(help: "Layers wider than this are reduced to it by PCA in the neighbour index (default 768; with --index-storage float32, a large value is exact full-dimension search).")
    var indexDimension: Int?

    @Option(help: "How the neighbour index stores features: int8 (default) or float32.")
    var indexStorage: NeighborIndex.Settings.Storage?

    @Flag(help: "Calibrate in memory with this index instead of reading calibration.json (to compare index settings).")
    var recalibrate = false

    @Option(help: "Where to write the reliability diagram (default: MODEL/reliability.svg).")
    var reliabilitySvg: String?

    @Option(help: ArgumentHelp("Write every input's scores and pixels to this folder (design experiments).", visibility: .hidden))
    var dumpScores: String?

    func run() throws {
        if detector || !ood.isEmpty || attacks != nil || !attackSet.isEmpty {
            try runDetector()
            return
        }
        let (card, network) = try ModelFolder(path: model).loadNetwork()
        let test = try EvaluationInputs.test(card: card, path: self.test, data: data)
        let t0 = Date()
        let report = Evaluator(network: network).evaluate(test)
        let seconds = Date().timeIntervalSince(t0)
        if json {
            struct Output: Encodable {
                var model: String
                var accuracy: Double
                var loss: Double
                var count: Int
                var confusion: [[Int]]
                var classNames: [String]
                var seconds: Double
            }
            try printJSON(
                Output(
                    model: card.name, accuracy: report.accuracy, loss: report.loss, count: report.count,
                    confusion: report.confusion, classNames: card.classNames, seconds: seconds))
            return
        }
        print("model \(card.name) (\(model))")
        print(String(format: "test accuracy %.2f%% on %d images (loss %.4f, %.1f s)", 100 * report.accuracy, report.count, report.loss, seconds))
        print("\nconfusion matrix (rows: true class, columns: predicted)")
        let short = card.classNames.map { String($0.prefix(7)) }
        print("".padding(toLength: 12, withPad: " ", startingAt: 0) + short.map { $0.leftPad(8) }.joined())
        for (i, row) in report.confusion.enumerated() {
            print(card.classNames[i].padding(toLength: 12, withPad: " ", startingAt: 0) + row.map { String($0).leftPad(8) }.joined())
        }
    }
}

extension Evaluate {
    func runDetector() throws {
        let card = try ModelFolder(path: model).readCard()
        let sets = try ood.map { spec -> (String, LabelledImages) in
            let (name, path) = try parseNamedPath(spec, option: "--ood")
            return (name, try EvaluationInputs.outliers(path, card: card))
        }
        var evaluation = DetectorEvaluation(
            model: model, data: data, oodSets: sets, attacks: try parseAttacks(attacks ?? ""), attackCount: attackCount, cache: cache,
            indexDimension: indexDimension, indexStorage: indexStorage)
        evaluation.recalibrate = recalibrate
        evaluation.dumpDirectory = dumpScores
        evaluation.testPath = test
        evaluation.attackSets = try attackSet.map { spec in
            let (name, path) = try parseNamedPath(spec, option: "--attack-set")
            return (name, try EvaluationInputs.attackSet(path, card: card))
        }
        let outcome = try evaluation.run()
        let report = outcome.report
        let svgPath = reliabilitySvg ?? (model as NSString).appendingPathComponent("reliability.svg")
        try outcome.reliabilitySVG.write(toFile: svgPath, atomically: true, encoding: .utf8)
        if json {
            try printJSON(report)
            return
        }
        print(String(format: "model accuracy %.2f%%, DkNN accuracy %.2f%%, mean credibility %.3f; index %.0f MiB%@",
                     100 * report.accuracy, 100 * report.dknnAccuracy, report.meanCredibility, Double(report.indexBytes) / 1048576,
                     report.indexBuildSeconds > 0 ? String(format: " (built in %.1f s)", report.indexBuildSeconds) : " (cached)"))
        print(String(format: "calibration %@: %.2f%% of the %d test images flagged (false-flag rate)", report.calibration, 100 * report.falseFlagRate, report.testCount))
        var rows: [(String, SetFigures, String)] = report.ood.sorted { $0.key < $1.key }.map {
            ($0.key, $0.value, String(format: "  flagged %.1f%%, routed outlier %.1f%% of flagged", 100 * $0.value.flagged, 100 * $0.value.routed))
        }
        rows += report.attacks.sorted { $0.key < $1.key }.map {
            let a = $0.value
            return ($0.key, a.detection, String(
                format: "  accuracy %.1f%%, DkNN %.1f%%, credibility %.3f; flagged %.1f%% (%.1f%% of the %d it fooled), routed adversarial %.1f%% of flagged",
                100 * a.accuracy, 100 * a.dknnAccuracy, a.meanCredibility, 100 * a.flagged, 100 * a.flaggedSuccessful, a.successful, 100 * a.routed))
        }
        for (name, f, extra) in rows {
            print("\n\(name): \(f.count) images")
            print(extra)
            print("  score              AUROC   FPR@95   AUPR   flagged@5%")
            for score in f.auroc.keys.sorted() {
                print("  " + score.padding(toLength: 18, withPad: " ", startingAt: 0)
                    + String(format: "%6.3f   %6.3f  %6.3f   %6.3f", f.auroc[score]!, f.fpr95[score]!, f.aupr[score]!, f.tprAt5[score]!))
            }
        }
        print("\nverdicts (rows: true kind; columns: verdict)")
        let kinds = ["in-distribution", "outlier", "adversarial"]
        print("".padding(toLength: 18, withPad: " ", startingAt: 0) + kinds.map { $0.leftPad(17) }.joined())
        for k in kinds where report.verdicts[k] != nil {
            print(k.padding(toLength: 18, withPad: " ", startingAt: 0) + kinds.map { String(report.verdicts[k]?[$0] ?? 0).leftPad(17) }.joined())
        }
        print("\nwrote \(svgPath)")
    }
}

extension String {
    func leftPad(_ n: Int) -> String { count >= n ? self : String(repeating: " ", count: n - count) + self }
}

extension NeighborIndex.Settings.Storage: ExpressibleByArgument {}
