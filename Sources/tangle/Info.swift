import ArgumentParser
import Foundation
import TangleDigest
import TangleModelStore
import TangleNetwork
import TangleVerdict

struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Describe a model folder for people.")

    @Argument(help: "Model folder.")
    var model = "models/fashion-mnist"

    @Flag(help: "Print the model card as JSON.")
    var json = false

    @Flag(help: "List every training file with its SHA-256 (otherwise a count and one digest over the list).")
    var files = false

    func run() throws {
        // Opening validates the model (weights file, finite weights, shapes); a broken one is refused, not described.
        let (card, network) = try ModelFolder(path: model).loadNetwork()
        if json {
            print(String(decoding: try ModelFolder.encoder.encode(card), as: UTF8.self))
            return
        }
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
        if card.data.files.isEmpty {
            // An image folder: its files are not listed; the profile's digest covers them all.
            let digest = card.profile.map { " (\($0.name)\($0.subfolder.map { "/" + $0 } ?? "")), folder digest sha256 \($0.digest)" } ?? ""
            print("  \(card.data.fileCount) images\(digest)")
        } else {
            // One digest over the "<sha256>  <path>" lines, sorted by path: compare two cards' training files at a glance.
            let listed = card.data.files.sorted { $0.path < $1.path }.map { "\($0.sha256)  \($0.path)\n" }.joined()
            print("  \(card.data.files.count) files, list digest sha256 \(SHA256.hex(of: Array(listed.utf8)))" + (files ? "" : " (--files lists them)"))
            if files { for f in card.data.files { print("  \(f.path)  sha256 \(f.sha256)") } }
        }
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
        try printCalibration(card)
    }

    /// The calibration: its target, the thresholds and the rates achieved on the calibration data.
    private func printCalibration(_ card: ModelCard) throws {
        let c: VerdictCalibration
        do { c = try VerdictCalibration.load(modelFolder: model, weightsSha256: card.weightsSHA256) } catch let e as CalibrationError {
            if case .invalid = e { throw e }
            print("\ncalibration  not calibrated for these weights (\(e)); run tangle calibrate --model \(model)")
            return
        } catch {
            print("\ncalibration  not calibrated for these weights (\(error)); run tangle calibrate --model \(model)")
            return
        }
        print("\ncalibration  \(c.id) (created \(c.created)), target false-flag rate \(c.targetFalseFlagRate)")
        print(String(format: "  verdict threshold %.3f, routing bias %.3f; k %d, k-th distance k %d", c.verdictThreshold, c.routingBias, c.k, c.kDistance))
        print("  outlier evidence: \(c.outlierGroup.evidence.joined(separator: ", "))")
        print("  adversarial evidence: \(c.adversarialGroup.evidence.joined(separator: ", "))")
        if let g = c.perturbationGroup, let offset = c.perturbationOffset {
            print(String(format: "  perturbation evidence: %@ (offset %.3f onto the verdict scale)", g.evidence.joined(separator: ", "), offset))
        }
        print("  k-th neighbour distance thresholds: " + c.layers.compactMap { l in c.layerThresholds[l].map { String(format: "%@ %.3f", l, $0.distance) } }.joined(separator: ", "))
        let flagged = c.achieved.calibrationFlagged
        print(String(format: "  calibration split flagged %d/%d (%.1f%%)", flagged.count, flagged.total, 100 * flagged.rate))
        for (name, r) in c.achieved.attacks.sorted(by: { $0.key < $1.key }) {
            print(String(format: "  %@: flagged %.1f%%, routed adversarial %.1f%% of flagged", name, 100 * r.flagged.rate, 100 * r.routed.rate))
        }
        for (name, r) in c.achieved.outliers.sorted(by: { $0.key < $1.key }) {
            print(String(format: "  %@: flagged %.1f%%, routed outlier %.1f%% of flagged", name, 100 * r.flagged.rate, 100 * r.routed.rate))
        }
    }
}
