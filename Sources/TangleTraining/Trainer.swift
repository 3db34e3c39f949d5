import Foundation
import TangleData
import TangleEntanglement
import TangleModelStore
import TangleNetwork
import TangleProgress
import TangleReport
import TangleTensor

/// Settings for one training run.
public struct TrainingOptions: Sendable {
    /// Passes over the training part.
    public var epochs = 20
    /// Images per step.
    public var batchSize = 256
    /// Adam's learning rate.
    public var learningRate: Float = 1e-3
    /// Seed for initialisation and shuffling.
    public var seed: UInt64 = 0
    /// Evaluate the test set after every epoch (when one is given).
    public var evaluateTestEachEpoch = true
    /// Stop after this many steps in total (`tangle train --steps`); the last, partial pass is
    /// measured like a whole one. `nil` runs every epoch.
    public var maxSteps: Int?
    /// Record the running loss every this many steps to `training-log.jsonl`.
    public var logEvery = 20
    /// Measure every hidden layer's SNNL on a fixed calibration batch every this many steps
    /// (`entanglement.jsonl`, `entanglement.svg`); 0 turns it off.
    public var probeEvery = 100
    /// Images in the fixed probe batch (taken from the calibration split).
    public var probeBatch = 500
    /// Seeded augmentation of every training batch (nil: none).
    public var augmentation: Augmentation?

    /// Default settings (the reference's: batch 256, Adam 1e-3).
    public init() {}
}

/// Trains a network with Adam on softmax cross-entropy, keeps the weights of the epoch with the
/// best calibration accuracy, and writes the model folder after every epoch.
///
/// The loop reads top to bottom: gather a batch, forward, loss, backward, update, report.
/// Ctrl-C (via ``StopSignal``) ends it after the current step; what is on disk is then the last
/// complete checkpoint.
public final class Trainer {
    /// The network being trained.
    public let network: Network
    /// The run's settings.
    public let options: TrainingOptions
    private let data: TrainingSet
    private let test: LabelledImages?
    private let folder: ModelFolder?
    private var card: ModelCard
    private let workspace: Workspace
    private let optimizer: Adam
    private var rng: SeededGenerator
    /// Draws the augmentation's crops and flips (its own stream, so turning it on leaves the shuffling as it was).
    private var augmentRNG: SeededGenerator
    private let labelBuffer: UnsafeMutablePointer<Int32>
    private let auxiliary: [any AuxiliaryLoss]
    private var probeLog: [String] = []
    private var probeRecords: [(step: Int, epoch: Double, layers: [EntanglementProbe.Layer])] = []

    /// Prepares a run.
    /// - Parameters:
    ///   - network: initialised from `options.seed` by the caller.
    ///   - data: training and calibration parts.
    ///   - test: reported after each epoch (never used for selection).
    ///   - folder: where the model is written (nothing is written when `nil`).
    ///   - card: the model card to fill in.
    ///   - auxiliaryLosses: terms added to the cross-entropy (the entangled objective, a control).
    public init(
        network: Network, options: TrainingOptions, data: TrainingSet, test: LabelledImages?, folder: ModelFolder?,
        card: ModelCard, auxiliaryLosses: [any AuxiliaryLoss] = []
    ) throws {
        guard options.batchSize > 0, data.trainIndices.count >= options.batchSize else {
            throw TrainingError.invalidOptions(
                "batch size \(options.batchSize) needs at least that many training images; there are \(data.trainIndices.count)")
        }
        guard options.epochs > 0 else { throw TrainingError.invalidOptions("--epochs must be at least 1") }
        guard options.learningRate > 0, options.learningRate.isFinite else {
            throw TrainingError.invalidOptions("--learning-rate must be a positive number")
        }
        self.network = network
        self.options = options
        self.data = data
        self.test = test
        self.folder = folder
        self.card = card
        workspace = Workspace(network: network, capacity: options.batchSize, trainable: true)
        optimizer = Adam(count: network.parameterCount, learningRate: options.learningRate)
        rng = SeededGenerator(seed: options.seed &+ 0x5EED)
        augmentRNG = SeededGenerator(seed: options.seed &+ 0xA06)
        labelBuffer = .allocate(capacity: options.batchSize)
        auxiliary = auxiliaryLosses
        workspace.accumulatedGradients = Set(auxiliaryLosses.flatMap(\.representationIndices))
        self.card.objective = auxiliaryLosses.map(\.record)
    }

    deinit { labelBuffer.deallocate() }

    /// The steps in one epoch (the remainder that does not fill a batch is dropped; the data are
    /// reshuffled every epoch).
    public var stepsPerEpoch: Int { data.trainIndices.count / options.batchSize }

    /// One training step on the images at `batch`: forward, losses, backward, Adam update.
    /// - Returns: the batch's mean total loss (cross-entropy plus auxiliary terms) and correct count.
    public func step(_ batch: ArraySlice<Int>) -> SoftmaxCrossEntropy.Result {
        let n = batch.count
        data.images.copyImages(batch, into: workspace.input.pointer)
        if let augmentation = options.augmentation {
            let shape = network.inputShape
            augmentation.apply(workspace.input.pointer, count: n, height: shape.height, width: shape.width, channels: shape.channels, rng: &augmentRNG)
        }
        for (i, idx) in batch.enumerated() { labelBuffer[i] = data.images.labels[idx] }
        network.forward(workspace, count: n, zeroGradients: true)
        var result = SoftmaxCrossEntropy.evaluate(
            logits: workspace.logits.pointer, labels: labelBuffer, count: n, classes: network.classCount,
            gradient: workspace.logitsGradient.pointer)
        for term in auxiliary {
            result.loss += term.apply(network: network, workspace: workspace, labels: labelBuffer, count: n)
        }
        guard result.loss.isFinite else { return result }
        network.backward(workspace, count: n)
        optimizer.update(parameters: network.parameters, gradient: workspace.parameterGradient)
        return result
    }

    /// Runs every epoch (or until stopped) and returns the final card.
    /// - Throws: ``TrainingError/nonFiniteLoss(epoch:step:value:)`` (the last checkpoint stays on
    ///   disk), or a ``ModelStoreError`` when the folder cannot be written.
    @discardableResult
    public func run() throws -> ModelCard {
        let steps = stepsPerEpoch
        let totalSteps = options.maxSteps.map { min($0, steps * options.epochs) } ?? steps * options.epochs
        let progress = Progress(label: "train", total: totalSteps * options.batchSize)
        let evaluator = Evaluator(network: network)
        let best = try Network(architecture: network.architecture, seed: 0)
        var bestCalibration = -1.0
        var log: [String] = []
        var globalStep = 0
        card.status = "training"
        epochLoop: for epoch in 1...options.epochs {
            let epochStart = Date()
            let order = rng.permutation(data.trainIndices.count).map { data.trainIndices[$0] }
            var lossSum = 0.0, correct = 0, seen = 0
            var trainSeconds = 0.0
            for s in 0..<steps {
                if StopSignal.isRequested { break epochLoop }
                // The step budget ends a pass early; that partial pass is still measured below.
                if globalStep >= totalSteps { break }
                let t0 = Date()
                let r = step(order[(s * options.batchSize)..<((s + 1) * options.batchSize)])
                trainSeconds += Date().timeIntervalSince(t0)
                guard r.loss.isFinite else {
                    card.status = "stopped: non-finite loss at epoch \(epoch), step \(s + 1)"
                    try saveCard()
                    throw TrainingError.nonFiniteLoss(epoch: epoch, step: s + 1, value: r.loss)
                }
                globalStep += 1
                if options.probeEvery > 0 && (globalStep % options.probeEvery == 0 || globalStep == 1) {
                    try probe(step: globalStep, epoch: Double(epoch - 1) + Double(s + 1) / Double(steps))
                }
                lossSum += r.loss * Double(options.batchSize)
                correct += r.correct
                seen += options.batchSize
                if globalStep % options.logEvery == 0 {
                    log.append(
                        String(
                            format: "{\"step\":%d,\"epoch\":%.4f,\"loss\":%.6f,\"accuracy\":%.5f}", globalStep,
                            Double(epoch - 1) + Double(s + 1) / Double(steps), lossSum / Double(seen), Double(correct) / Double(seen)))
                }
                progress.update(
                    done: globalStep * options.batchSize,
                    fields: [
                        "epoch \(epoch)/\(options.epochs)", "step \(s + 1)/\(steps)",
                        String(format: "loss %.4f", lossSum / Double(seen)),
                        String(format: "acc %.1f%%", 100 * Double(correct) / Double(seen)),
                    ])
            }
            if seen == 0 { break }
            let cal = evaluator.evaluate(data.images, indices: data.calibrationIndices)
            let tst = options.evaluateTestEachEpoch ? test.map { evaluator.evaluate($0) } : nil
            let metrics = EpochMetrics(
                epoch: epoch, trainLoss: lossSum / Double(seen), trainAccuracy: Double(correct) / Double(seen),
                calibrationLoss: cal.loss, calibrationAccuracy: cal.accuracy, testLoss: tst?.loss, testAccuracy: tst?.accuracy,
                imagesPerSecond: Double(seen) / max(trainSeconds, 1e-9), seconds: Date().timeIntervalSince(epochStart))
            card.epochs.append(metrics)
            var line = String(
                format: "epoch %d: train loss %.4f acc %.2f%%  calibration acc %.2f%%", epoch, metrics.trainLoss,
                100 * metrics.trainAccuracy, 100 * cal.accuracy)
            if let tst { line += String(format: "  test acc %.2f%%", 100 * tst.accuracy) }
            line += String(format: "  %.0f img/s", metrics.imagesPerSecond)
            if cal.accuracy > bestCalibration {
                bestCalibration = cal.accuracy
                best.copyParameters(from: network)
                card.selectedEpoch = epoch
                line += "  (best so far: saved)"
                if let folder { card.weightsSHA256 = try folder.writeWeights(best, fileName: card.weightsFile) }
            }
            progress.finish(line)
            card.objective = auxiliary.map(\.record)
            try saveCard(log: log)
            if seen < steps * options.batchSize { break }
        }
        card.status = StopSignal.isRequested ? "interrupted" : "completed"
        card.objective = auxiliary.map(\.record)
        try saveCard(log: log)
        network.copyParameters(from: best)
        return card
    }

    /// Measures every hidden layer's entanglement on the fixed probe batch.
    private func probe(step: Int, epoch: Double) throws {
        let indices = Array(data.calibrationIndices.prefix(options.probeBatch))
        guard indices.count >= 2 else { return }
        let hidden = card.representations.filter { $0 != network.representationNames.last }
        let ws = probeWorkspace ?? Workspace(network: network, capacity: indices.count, trainable: false)
        probeWorkspace = ws
        data.images.copyImages(indices, into: ws.input.pointer)
        network.forward(ws, count: indices.count)
        var trainingT: [String: Double] = [:]
        for term in auxiliary {
            if let e = term as? EntanglementLoss {
                for (name, t) in zip(e.settings.layers, e.temperatures) { trainingT[name] = t }
            }
        }
        let layers = try EntanglementProbe().measure(
            network: network, workspace: ws, count: indices.count, labels: indices.map { data.images.labels[$0] },
            layers: hidden, trainingTemperatures: trainingT)
        probeRecords.append((step, epoch, layers))
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        struct Line: Encodable {
            var step: Int
            var epoch: Double
            var layers: [EntanglementProbe.Layer]
        }
        probeLog.append(String(decoding: try encoder.encode(Line(step: step, epoch: epoch, layers: layers)), as: UTF8.self))
    }

    private var probeWorkspace: Workspace?

    private func saveCard(log: [String] = []) throws {
        guard let folder else { return }
        try folder.writeCard(card)
        if !probeLog.isEmpty {
            try ModelFolder.atomicWrite(Data((probeLog.joined(separator: "\n") + "\n").utf8), to: folder.file("entanglement.jsonl"))
            try ModelFolder.atomicWrite(
                Data(TrainingCharts.entanglement(card.name, probeRecords).svg().utf8), to: folder.file("entanglement.svg"))
        }
        if !log.isEmpty {
            try ModelFolder.atomicWrite(Data((log.joined(separator: "\n") + "\n").utf8), to: folder.file("training-log.jsonl"))
        }
        try ModelFolder.atomicWrite(Data(TrainingCharts.curves(card).svg().utf8), to: folder.file("training.svg"))
    }
}
