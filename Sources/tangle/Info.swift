import ArgumentParser
import Foundation
import TangleModelStore
import TangleNetwork

struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Describe a model folder for people.")

    @Argument(help: "Model folder.")
    var model = "models/fashion-mnist"

    @Flag(help: "Print the model card as JSON.")
    var json = false

    func run() throws {
        let folder = ModelFolder(path: model)
        let card = try folder.readCard()
        if json {
            print(String(decoding: try ModelFolder.encoder.encode(card), as: UTF8.self))
            return
        }
        let network = try Network(architecture: card.architecture, seed: 0)
        print("\(card.name)  (Tangle \(card.toolVersion), created \(card.created), \(card.status))")
        print("weights  \(card.weightsFile)  sha256 \(card.weightsSHA256)")
        print("classes  \(card.classNames.joined(separator: ", "))")
        print("input    \(card.architecture.input) (\(card.preprocessing.scale); \(card.preprocessing.polarity))")
        print("\narchitecture (\(network.parameterCount) parameters)")
        var shape = card.architecture.input
        for layer in network.layers {
            let s = layer.spec
            let what: String
            switch s.kind {
            case .conv2d:
                what = "conv \(s.kernel!)x\(s.kernel!), \(s.filters!) filters, stride \(s.stride ?? 1), \((s.padding ?? .same).rawValue), \((s.activation ?? .linear).rawValue)"
            case .maxpool: what = "max-pool \(s.size ?? 2)x\(s.size ?? 2)"
            case .dense: what = "dense \(s.units!), \((s.activation ?? .linear).rawValue)"
            }
            print("  \(s.name.padding(toLength: 8, withPad: " ", startingAt: 0)) \(what.padding(toLength: 48, withPad: " ", startingAt: 0)) \(shape) -> \(layer.outputShape) (\(layer.outputShape.size))")
            shape = layer.outputShape
        }
        print("representations read by name: \(card.representations.joined(separator: ", "))")
        let h = card.hyperparameters
        print("\ntraining  \(card.data.kind) from \(card.data.directory)")
        for f in card.data.files { print("  \(f.path)  sha256 \(f.sha256)") }
        let c = card.data.calibration
        print("  calibration split: \(c.rule) \(c.count) images" + (c.first.map { " (from index \($0))" } ?? ""))
        print("  batch \(h.batchSize), \(h.optimizer) lr \(h.learningRate), \(h.epochs) epochs, seed \(h.seed)")
        if !card.epochs.isEmpty {
            print("\nepoch  train-loss  train-acc  calib-acc  test-acc   img/s")
            for e in card.epochs {
                let mark = e.epoch == card.selectedEpoch ? "  <- kept" : ""
                print(
                    String(
                        format: "%5d  %10.4f  %8.2f%%  %8.2f%%  %8@  %6.0f", e.epoch, e.trainLoss, 100 * e.trainAccuracy,
                        100 * e.calibrationAccuracy, e.testAccuracy.map { String(format: "%.2f%%", 100 * $0) } ?? "-",
                        e.imagesPerSecond) + mark)
            }
        }
    }
}
