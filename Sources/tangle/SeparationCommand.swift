import ArgumentParser
import Foundation
import TangleData
import TangleDataSource
import TangleModelStore
import TangleSeparation
import TangleTraining

struct SeparationCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "separation",
        abstract: "How well each hidden layer separates synthetic outliers and attacks made from the calibration split.",
        discussion: """
            Score: distance to the k-th nearest training point (L2-normalised features). In-distribution: \
            calibration images. Outliers: the same images pixel-shuffled, inverted and blurred. Attacks: \
            white-box FGSM 0.1 and BIM 0.1 on them. No test or evaluation data is used, so this can choose \
            between models.
            """)

    @Option(help: "Model folder.")
    var model = "models/fashion-mnist"

    @Option(help: "Folder with the training IDX files (default: the model card's).")
    var data: String?

    @Option(help: "Training points in the neighbour index.")
    var trainCount = 10_000

    @Option(help: "Calibration images scored (and made into outliers and attacks).")
    var count = 1000

    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        guard count >= 2 else { throw ValidationError("--count must be at least 2 calibration images") }
        guard trainCount >= 1 else { throw ValidationError("--train-count must be at least 1 training point") }
    }

    func run() throws {
        let (card, network) = try ModelFolder(path: model).loadNetwork()
        // The model's own training data and calibration split, whatever it was trained on.
        let set = try TrainingDataSource.open(card: card, override: data).set
        let train = set.images
        var s = Separation()
        s.trainCount = trainCount
        s.calibrationCount = count
        let hidden = card.representations.filter { $0 != network.representationNames.last }
        let figures = try s.measure(
            network: network, images: train, trainIndices: set.trainIndices, calibrationIndices: set.calibrationIndices,
            layers: hidden)
        if json {
            try printJSON(figures)
            return
        }
        print(Separation.table(figures, layers: hidden))
    }
}
