import ArgumentParser
import Foundation
import TangleData
import TangleDataSource
import TangleEvaluation
import TangleEntanglement
import TangleModelStore
import TangleTraining

struct Entanglement: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure entanglement (the soft nearest neighbor loss) per layer, or between real and synthetic images.",
        discussion: """
            With --model: SNNL of the input and every hidden representation on a labelled data set. \
            With --real and --synthetic: SNNL in input space of two image sets labelled real/synthetic \
            (the paper's measure of how well a generator's samples mix with real data). \
            Each layer reports SNNL at the fixed temperature, the minimum over temperatures (the stricter \
            measure: a layer cannot look entangled there by shrinking its scale), the temperature of the \
            minimum, and the median pairwise distance. Higher SNNL = more entangled.
            """)

    @Option(help: "Model folder.")
    var model: String?

    @Option(help: "Labelled data: a class folder (<class>/*.png|jpg), or a folder with Fashion-MNIST-named IDX files (default: Fashion-MNIST for its models, else the model's own calibration split).")
    var data: String?

    @Option(help: "Which split of --data to use: test or train.")
    var split = "test"

    @Option(help: "Real images: an IDX image file.")
    var real: String?

    @Option(help: "Synthetic images: an IDX image file.")
    var synthetic: String?

    @Option(help: "Images to use (per set with --real/--synthetic).")
    var count = 1000

    @Option(help: "SNNL distance: euclidean (squared) or cosine.")
    var distance: SoftNearestNeighborLoss.Distance = .euclidean

    @Option(help: "The fixed temperature reported beside the minimum.")
    var temperature: Double = 100

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        let rows: [EntanglementProbe.Layer]
        if let real, let synthetic {
            let load = { (path: String) throws -> LabelledImages in
                let im = try IDX.readImages(at: path)
                return try LabelledImages(
                    rows: im.rows, columns: im.columns, pixels: im.pixels, labels: [Int32](repeating: 0, count: im.count),
                    classNames: ["image"])
            }
            rows = [
                try EntanglementAnalysis.realVersusSynthetic(
                    real: try load(real), synthetic: try load(synthetic), count: count, distance: distance,
                    fixedTemperature: temperature)
            ]
        } else {
            guard let model else {
                throw ValidationError("give --model DIR (with --data), or --real FILE and --synthetic FILE")
            }
            let (card, network) = try ModelFolder(path: model).loadNetwork()
            let images: LabelledImages
            if card.data.kind == "fashion-mnist" && data.map({ TrainingDataSource.kind(of: $0) == "fashion-mnist" }) ?? true {
                let source = FashionMNIST(directory: try DataLocation.resolve(card: card, override: data))
                images = split == "train" ? try source.training() : try source.test()
            } else if let data {
                // A class folder, through the model's intake.
                images = try EvaluationInputs.test(card: card, path: data, data: nil)
            } else {
                // Any other model: its own calibration split.
                let set = try TrainingDataSource.open(card: card, override: nil).set
                images = set.images.subset(set.calibrationIndices)
            }
            let hidden = card.representations.filter { $0 != network.representationNames.last }
            rows = try EntanglementAnalysis.layers(
                network: network, images: images, count: count, layers: hidden, distance: distance,
                fixedTemperature: temperature)
        }
        if json {
            try printJSON(rows)
            return
        }
        if real != nil {
            print("Two equal-sized sets that mix perfectly give about log 2 = 0.693; sets that separate give about 0.")
        }
        print("layer                       SNNL@T=\(temperature)   SNNL min over T   argmin T   median distance")
        for r in rows {
            print(
                r.layer.padding(toLength: 26, withPad: " ", startingAt: 0)
                    + String(format: "  %12.4f  %16.4f  %9.4g  %16.4g", r.snnlFixed, r.snnlMin, r.argminTemperature, r.medianDistance))
        }
    }
}
