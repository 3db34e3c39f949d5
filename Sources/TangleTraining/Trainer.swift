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
    /// Stop after this many epochs of this invocation, as Ctrl-C would, keeping the resume point
    /// (`tangle train --stop-after`: a long run trained in slots). `nil` runs to the end.
    public var stopAfterEpochs: Int?

    /// Default settings (the reference's: batch 256, Adam 1e-3).
    public init() {}
}

/// Trains a network with Adam on softmax cross-entropy, keeps the weights of the epoch with the
/// best calibration accuracy, and writes the model folder after every epoch.
///
/// The loop reads top to bottom: gather a batch, forward, loss, backward, update, report.
/// Ctrl-C (via ``StopSignal``) ends it after the current step; what is on disk is then the last
/// complete checkpoint. After every epoch but the last a ``ResumePoint`` is written beside the model,
/// so a stopped or killed run continues with ``resume(from:)`` to the same weights, bit for bit.
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
    private var probes: [ResumePoint.ProbeRecord] = []
    /// Set by ``resume(from:)``: where ``run()`` continues.
    private var resumePoint: ResumePoint?

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
        var firstEpoch = 1
        if let r = resumePoint {
            r.best.withUnsafeBufferPointer { best.parameters.pointer.update(from: $0.baseAddress!, count: best.parameterCount) }
            bestCalibration = r.bestCalibration
            log = r.log
            globalStep = r.globalStep
            firstEpoch = r.epochsDone + 1
            progress.resetRate(done: globalStep * options.batchSize)
        }
        card.status = "training"
        var paused = false
        epochLoop: for epoch in stride(from: firstEpoch, through: options.epochs, by: 1) {
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
            if seen < steps * options.batchSize || epoch == options.epochs || globalStep >= totalSteps { break }
            try saveResumePoint(epochsDone: epoch, globalStep: globalStep, bestCalibration: bestCalibration, best: best, log: log)
            if let n = options.stopAfterEpochs, epoch - firstEpoch + 1 >= n {
                paused = true
                break
            }
        }
        let finished = !StopSignal.isRequested && !paused
        card.status = finished ? "completed" : "interrupted"
        card.objective = auxiliary.map(\.record)
        try saveCard(log: log)
        if finished, let folder, FileManager.default.fileExists(atPath: folder.file(ResumePoint.fileName)) {
            try? FileManager.default.removeItem(atPath: folder.file(ResumePoint.fileName))
        }
        network.copyParameters(from: best)
        return card
    }

    /// Continues the run saved in `folder` (``ResumePoint/fileName``): the network's weights, the best
    /// weights so far, Adam's moments, both generators, the auxiliary terms' temperatures, the
    /// training log and the probe's measurements. The card passed to ``init`` must be the saved run's.
    /// - Returns: the epochs already done.
    /// - Throws: ``TrainingError/cannotResume(_:)`` when the file is missing or does not fit this run.
    @discardableResult
    public func resume(from folder: ModelFolder) throws -> Int {
        let path = folder.file(ResumePoint.fileName)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TrainingError.cannotResume(
                "\(folder.path) holds no \(ResumePoint.fileName): its run completed, or never finished an epoch; start it again with --force")
        }
        let r = try ResumePoint(decoding: data, source: path)
        guard r.weights.count == network.parameterCount else {
            throw TrainingError.cannotResume("\(path) holds \(r.weights.count) parameters; this network has \(network.parameterCount)")
        }
        guard let shuffle = SeededGenerator(state: r.shuffle), let augment = SeededGenerator(state: r.augment) else {
            throw TrainingError.cannotResume("\(path) has a generator state of zeros")
        }
        // A run killed between writing an epoch's card and its resume point redoes that epoch.
        guard r.epochsDone >= 1, r.epochsDone <= card.epochs.count, r.globalStep == r.epochsDone * stepsPerEpoch else {
            throw TrainingError.cannotResume(
                "\(path) is after epoch \(r.epochsDone) and step \(r.globalStep), but the card records \(card.epochs.count) epochs of \(stepsPerEpoch) steps")
        }
        guard r.auxiliary.count == auxiliary.count, zip(auxiliary, r.auxiliary).allSatisfy({ $0.restore(state: $1) }),
            optimizer.restore(step: r.adamStep, m: r.adamM, v: r.adamV)
        else { throw TrainingError.cannotResume("\(path) does not fit this run's objective or optimiser") }
        r.weights.withUnsafeBufferPointer { network.parameters.pointer.update(from: $0.baseAddress!, count: network.parameterCount) }
        rng = shuffle
        augmentRNG = augment
        probes = r.probes
        resumePoint = r
        card.epochs = Array(card.epochs.prefix(r.epochsDone))
        // The kept weights are the resume point's best: the first epoch with the best calibration accuracy.
        let bestAccuracy = card.epochs.map(\.calibrationAccuracy).max()
        card.selectedEpoch = card.epochs.first { $0.calibrationAccuracy == bestAccuracy }?.epoch
        let kept = try Network(architecture: network.architecture, seed: 0)
        r.best.withUnsafeBufferPointer { kept.parameters.pointer.update(from: $0.baseAddress!, count: kept.parameterCount) }
        card.weightsSHA256 = try folder.writeWeights(kept, fileName: card.weightsFile)
        return r.epochsDone
    }

    private func saveResumePoint(epochsDone: Int, globalStep: Int, bestCalibration: Double, best: Network, log: [String]) throws {
        guard let folder else { return }
        let adam = optimizer.state
        let r = ResumePoint(
            epochsDone: epochsDone, globalStep: globalStep, bestCalibration: bestCalibration, shuffle: rng.state,
            augment: augmentRNG.state, adamStep: adam.step, auxiliary: auxiliary.map(\.state), log: log, probes: probes,
            weights: Array(UnsafeBufferPointer(start: network.parameters.pointer, count: network.parameterCount)),
            best: Array(UnsafeBufferPointer(start: best.parameters.pointer, count: best.parameterCount)), adamM: adam.m, adamV: adam.v)
        try ModelFolder.atomicWrite(try r.encoded(), to: folder.file(ResumePoint.fileName))
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
        probes.append(ResumePoint.ProbeRecord(step: step, epoch: epoch, layers: layers))
    }

    private var probeWorkspace: Workspace?

    private func saveCard(log: [String] = []) throws {
        guard let folder else { return }
        try folder.writeCard(card)
        if !probes.isEmpty {
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            encoder.outputFormatting = [.sortedKeys]
            encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
            let lines = try probes.map { String(decoding: try encoder.encode($0), as: UTF8.self) }
            try ModelFolder.atomicWrite(Data((lines.joined(separator: "\n") + "\n").utf8), to: folder.file("entanglement.jsonl"))
            try ModelFolder.atomicWrite(
                Data(TrainingCharts.entanglement(card.name, probes.map { ($0.step, $0.epoch, $0.layers) }).svg().utf8),
                to: folder.file("entanglement.svg"))
        }
        if !log.isEmpty {
            try ModelFolder.atomicWrite(Data((log.joined(separator: "\n") + "\n").utf8), to: folder.file("training-log.jsonl"))
        }
        try ModelFolder.atomicWrite(Data(TrainingCharts.curves(card).svg().utf8), to: folder.file("training.svg"))
    }
}
