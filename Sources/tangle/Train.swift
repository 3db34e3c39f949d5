import ArgumentParser
import Foundation
import TangleData
import TangleDataSource
import TangleModelStore
import TangleNetwork
import TangleTraining

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a classifier and write a model folder (weights, model card, curves).",
        discussion: """
            --data is a folder of Fashion-MNIST IDX files, or a folder of your own labelled images: one subfolder \
            per class holding PNG or JPEG files (DIR/<class name>/*.png), decoded and preprocessed exactly as the \
            daemon's inputs are. A calibration split is held out (never trained on) for calibration and model \
            selection — a seeded stratified --calibration-fraction of every class (or, for Fashion-MNIST, the \
            last --calibration-count images, the reference implementation's split) — and the stored weights are those of the \
            epoch with the best calibration accuracy. Ctrl-C stops after the current step and keeps the last \
            complete checkpoint. After every epoch but the last, --out also holds resume.safetensors: the same \
            command with --resume continues a stopped or killed run from there, to the same weights as a run \
            never stopped.
            """)

    @Option(help: "Folder with the Fashion-MNIST IDX files, or with one subfolder of images per class.")
    var data = FashionMNIST.defaultDirectory

    @Option(help: "Model folder to write (refused when it already holds a model, unless --force).")
    var out = "models/fashion-mnist"

    @Flag(help: "Replace the model already in --out: its weights, card, charts and calibration are removed first.")
    var force = false

    @Flag(help: "Continue the stopped run in --out from its last completed epoch (its resume.safetensors); give the options the run was started with.")
    var resume = false

    @Option(help: "Model name (default: the folder's name).")
    var name: String?

    @Option(help: "Passes over the training data.")
    var epochs = 20

    @Option(help: "Stop after this many optimiser steps instead (the paper's recipe: 14000 at batch 256, Adam 1e-4); --epochs becomes as many passes as they take, the last one partial.")
    var steps: Int?

    @Option(help: "Images per step.")
    var batchSize = 256

    @Option(help: "Adam learning rate.")
    var learningRate: Float = 1e-3

    @Option(help: "Seed for initialisation and shuffling.")
    var seed: UInt64 = 0

    @Option(help: "The model's input as HxWxC, e.g. 32x32x3 (default: from the data: its common size, colour when it has colour).")
    var input: String?

    @Option(help: "Multiply every hidden layer's filters and units by this (2: twice the reference's width, e.g. another architecture to transfer attacks from).")
    var width = 1

    @Option(help: "Seeded augmentation (random crop with 4-pixel padding, horizontal flip): auto (on for photographs: an image folder with mixed borders), on, off.")
    var augment = "auto"

    @Option(help: "Fashion-MNIST: hold out the last N training images for calibration instead (the reference implementation's split of 1000; not stratified, and too few for a 5 % rate to hold on new data).")
    var calibrationCount: Int?

    @Option(help: "The fraction of every class held out for calibration and model selection, seeded by --seed. (default: 0.1)")
    var calibrationFraction: Double?

    @Flag(help: "Skip the test-set evaluation after each epoch.")
    var noTest = false

    @Option(help: "Stop after this many epochs of this invocation, keeping resume.safetensors (train a long run in slots: run the same command again with --resume).")
    var stopAfter: Int?

    @OptionGroup(title: "Entangled objective")
    var objective: ObjectiveOptions

    func validate() throws {
        guard epochs >= 1 else { throw ValidationError("--epochs must be at least 1 (passes over the training data)") }
        if let steps, steps < 1 { throw ValidationError("--steps must be at least 1 (optimiser steps of --batch-size images)") }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1 image per step (the default is 256)") }
        guard learningRate > 0, learningRate.isFinite else { throw ValidationError("--learning-rate must be a positive number (the default is 0.001)") }
        if let calibrationCount, calibrationCount < 1 { throw ValidationError("--calibration-count must be at least 1 image (the reference's split is 1000)") }
        if calibrationCount != nil && TrainingDataSource.kind(of: data) != "fashion-mnist" {
            throw ValidationError("--calibration-count holds out the last images of Fashion-MNIST; for a folder of class folders give --calibration-fraction")
        }
        if calibrationCount != nil && calibrationFraction != nil {
            throw ValidationError("--calibration-count (the last N images) and --calibration-fraction (a stratified share) choose the split two ways: give one")
        }
        if let calibrationFraction, !(calibrationFraction > 0 && calibrationFraction < 1) {
            throw ValidationError("--calibration-fraction must lie between 0 and 1, e.g. 0.1 holds out a tenth of every class (got \(calibrationFraction))")
        }
        guard (1...8).contains(width) else { throw ValidationError("--width multiplies the reference's filters and units: give 1 (the default) to 8 (got \(width))") }
        guard ["auto", "on", "off"].contains(augment) else { throw ValidationError("--augment takes auto, on or off") }
        if let input, InputShape.parse(input) == nil {
            throw ValidationError("--input takes HxWxC with C 1 or 3 and sides from 8 to 512, e.g. 28x28x1 or 32x32x3 (got \(input))")
        }
        if let stopAfter, stopAfter < 1 { throw ValidationError("--stop-after must be at least 1 epoch") }
        if resume && force { throw ValidationError("--resume continues the run in --out and --force replaces it: choose one") }
        let existing = ModelFolder(path: out).existingModelFiles()
        if !existing.isEmpty && !force && !resume {
            let shipped = (out as NSString).standardizingPath.hasSuffix("models/fashion-mnist") ? " (the default --out, the shipped model)" : ""
            throw ValidationError(
                "\(out)\(shipped) already holds a model (\(existing.joined(separator: ", "))): choose another --out, or pass --force to replace it")
        }
    }

    func run() throws {
        let loaded = try TrainingDataSource.loadForTraining(
            directory: data, calibrationCount: calibrationCount ?? 0, calibrationFraction: calibrationCount == nil ? (calibrationFraction ?? 0.1) : nil, seed: seed,
            input: input.flatMap(InputShape.parse), withTest: !noTest)
        let train = loaded.set.images
        let test = loaded.test
        let set = loaded.set
        guard train.classNames.count >= 2 else {
            throw ValidationError(
                "\(data) holds one class (\(train.classNames.first ?? "none")); a classifier needs at least two: add one subfolder of images per class (DIR/<class>/*.png)")
        }
        if loaded.source.kind == "image-folder" {
            var counts = [Int](repeating: 0, count: train.classNames.count)
            for l in train.labels { counts[Int(l)] += 1 }
            print("\(data): \(train.count) images in \(train.classNames.count) classes (" + zip(train.classNames, counts).map { "\($0) \($1)" }.joined(separator: ", ") + "); \(set.calibrationIndices.count) held out for calibration")
            print("input \(loaded.input) (\(input == nil ? "from the data" : "--input")); polarity \(loaded.profile.polarity) (borders: \(Int((loaded.profile.borders.uniformDark * 100).rounded())) % uniform dark, \(Int((loaded.profile.borders.uniformLight * 100).rounded())) % uniform light)")
            if !loaded.skipped.isEmpty {
                print("skipped \(loaded.skipped.count) files:")
                for f in loaded.skipped.prefix(20) { print("  \(f.path): \(f.reason)") }
                if loaded.skipped.count > 20 { print("  … and \(loaded.skipped.count - 20) more") }
            }
        }
        let network = try Network(architecture: .reference(input: loaded.input, classes: train.classNames.count, width: width), seed: seed)
        var options = TrainingOptions()
        options.epochs = epochs
        if let steps {
            let perEpoch = max(1, set.trainIndices.count / batchSize)
            options.epochs = (steps + perEpoch - 1) / perEpoch
            options.maxSteps = steps
            print("\(steps) steps of \(batchSize): \(options.epochs) passes over the \(set.trainIndices.count) training images")
        }
        options.batchSize = batchSize
        options.stopAfterEpochs = stopAfter
        options.learningRate = learningRate
        options.seed = seed
        let photographs = loaded.source.kind == "image-folder" && loaded.profile.polarity == "never"
        if augment == "on" || (augment == "auto" && photographs) { options.augmentation = Augmentation() }
        var profile = loaded.profile
        profile.augmentation = options.augmentation?.record ?? []
        print("augmentation: \(profile.augmentation.isEmpty ? "none" : profile.augmentation.joined(separator: ", "))\(augment == "auto" ? " (auto)" : "")")
        let folder = ModelFolder(path: out)
        // Replacing a model: its calibration and charts go with its weights.
        if force { try folder.removeModelFiles() }
        var card = ModelCard(
            name: name ?? (out as NSString).lastPathComponent, toolVersion: tangleVersion, created: rfc3339Now(),
            // Every pooling and dense layer's output is a representation later stages read by name.
            architecture: network.architecture, representations: network.architecture.layers.filter { $0.kind != .conv2d }.map(\.name),
            preprocessing: loaded.input.channels == 3 ? .colour : .fashionMNIST, profile: profile, classNames: train.classNames,
            data: loaded.source,
            hyperparameters: Hyperparameters(batchSize: batchSize, learningRate: learningRate, epochs: options.epochs, seed: seed, steps: steps))
        let terms = try objective.terms(network: network, batchSize: batchSize, defaults: .train)
        if resume {
            let saved = try folder.readCard()
            var command = card
            command.objective = terms.map(\.record)
            let differing = try ResumePoint.differences(saved: saved, command: command)
            guard differing.isEmpty else {
                throw ValidationError(
                    "the run in \(out) was started with other settings (\(differing.joined(separator: ", ")) differ): give --resume the options it was started with, or start again with --force")
            }
            card = saved
        }
        StopSignal.install()
        let trainer = try Trainer(
            network: network, options: options, data: set, test: test, folder: folder, card: card, auxiliaryLosses: terms)
        if resume {
            let done = try trainer.resume(from: folder)
            print("resuming \(out) after epoch \(done) of \(options.epochs)")
        }
        let t0 = Date()
        let final = try trainer.run()
        let best = final.epochs.first { $0.epoch == final.selectedEpoch }
        var summary = "\(final.status): \(final.epochs.count) epochs in \(Int(Date().timeIntervalSince(t0))) s"
        if let best {
            summary += String(format: "; kept epoch %d (calibration accuracy %.2f%%", best.epoch, 100 * best.calibrationAccuracy)
            if let t = best.testAccuracy { summary += String(format: ", test accuracy %.2f%%", 100 * t) }
            summary += ")"
        }
        print(summary)
        if final.status != "completed" && FileManager.default.fileExists(atPath: folder.file(ResumePoint.fileName)) {
            print("continue it with the same command and --resume")
        }
        if final.selectedEpoch == nil {
            print("no epoch completed, so no weights were written; the card and curves in \(out) record the run")
        } else {
            print("model written to \(out); calibrate it before judging: tangle calibrate --model \(out)")
        }
    }
}
