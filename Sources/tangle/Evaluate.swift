import ArgumentParser
import Foundation
import TangleData
import TangleModelStore
import TangleAttacks
import TangleEvaluation
import TangleNetwork
import TangleTraining

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Report a model's test accuracy and confusion matrix.")

    @Option(help: "Model folder.")
    var model = "models/fashion-mnist"

    @Option(help: "Folder with the test IDX files (default: the one the model card names).")
    var data: String?

    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    @Option(parsing: .singleValue, help: "An outlier set NAME=PATH (an IDX image file, or a folder with t10k-images-idx3-ubyte[.gz]); repeatable. Runs the detector report.")
    var ood: [String] = []

    @Option(help: "Attacks for the detector report, e.g. fgsm:0.05,fgsm:0.1,bim:0.1.")
    var attacks: String?

    @Option(help: "Test images attacked.")
    var attackCount = 2000

    @Flag(help: "Run the detector report (DkNN and every score) even without --ood or --attacks.")
    var detector = false

    @Option(help: "Cache folder for neighbour indexes (default $XDG_CACHE_HOME/tangle).")
    var cache: String?

    @Option(help: "Layers wider than this are reduced to it by PCA in the neighbour index.")
    var indexDimension = 256

    func run() throws {
        let folder = ModelFolder(path: model)
        let (card, network) = try folder.loadNetwork()
        if detector || !ood.isEmpty || attacks != nil {
            try runDetector(card: card, network: network)
            return
        }
        let test = try FashionMNIST(directory: data ?? card.data.directory).test()
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
    func runDetector(card: ModelCard, network: Network) throws {
        let sets = try ood.map { spec -> (String, String) in
            let parts = spec.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw ValidationError("--ood takes NAME=PATH, got '\(spec)'") }
            return (parts[0], parts[1])
        }
        let attackList = try (attacks ?? "").split(separator: ",").map { text -> Attack in
            guard let a = Attack(String(text)) else { throw ValidationError("unknown attack '\(text)'; use fgsm:EPS or bim:EPS") }
            return a
        }
        let report = try DetectorEvaluation(
            card: card, network: network, dataDirectory: data ?? card.data.directory, oodSets: sets,
            attacks: attackList, attackCount: attackCount, cache: cache, indexDimension: indexDimension
        ).run()
        if json {
            try printJSON(report)
            return
        }
        print(String(format: "model accuracy %.2f%%, DkNN accuracy %.2f%%, mean credibility %.3f; index %.0f MiB%@",
                     100 * report.accuracy, 100 * report.dknnAccuracy, report.meanCredibility, Double(report.indexBytes) / 1048576,
                     report.indexBuildSeconds > 0 ? String(format: " (built in %.1f s)", report.indexBuildSeconds) : " (cached)"))
        let rows: [(String, SetFigures, String)] =
            report.ood.sorted { $0.key < $1.key }.map { ($0.key, $0.value, "") }
            + report.attacks.sorted { $0.key < $1.key }.map {
                ($0.key, $0.value.detection, String(format: "  (accuracy %.1f%%, DkNN %.1f%%, credibility %.3f)", 100 * $0.value.accuracy, 100 * $0.value.dknnAccuracy, $0.value.meanCredibility))
            }
        for (name, f, extra) in rows {
            print("\n\(name): \(f.count) images\(extra)")
            print("  score              AUROC   FPR@95   AUPR   flagged@5%")
            for score in f.auroc.keys.sorted() {
                print("  " + score.padding(toLength: 16, withPad: " ", startingAt: 0)
                    + String(format: "  %6.3f   %6.3f  %6.3f   %6.3f", f.auroc[score]!, f.fpr95[score]!, f.aupr[score]!, f.tprAt5[score]!))
            }
        }
    }
}

extension String {
    func leftPad(_ n: Int) -> String { count >= n ? self : String(repeating: " ", count: n - count) + self }
}
