import Foundation
import Testing
import TangleData
import TangleModelStore
import TangleNetwork
import TangleTensor
@testable import TangleTraining

/// Tiny, learnable synthetic data: class 0 is bright on the left half, class 1 on the right.
func halvesData(count: Int, seed: UInt64 = 1) throws -> LabelledImages {
    var rng = SeededGenerator(seed: seed)
    var pixels: [UInt8] = []
    var labels: [Int32] = []
    for i in 0..<count {
        let label = Int32(i % 2)
        labels.append(label)
        for _ in 0..<6 {
            for x in 0..<6 {
                let bright = (x < 3) == (label == 0)
                pixels.append(UInt8(bright ? 150 + rng.next() % 100 : rng.next() % 100))
            }
        }
    }
    return try LabelledImages(rows: 6, columns: 6, pixels: pixels, labels: labels, classNames: ["left", "right"])
}

let smallArchitecture = Architecture(
    input: Shape3(height: 6, width: 6, channels: 1),
    layers: [
        .conv2d("conv1", filters: 4, kernel: 3), .maxpool("pool1"), .dense("fc1", units: 8),
        .dense("logits", units: 2, activation: .linear),
    ])

func card(for network: Network) -> ModelCard {
    ModelCard(
        name: "test", toolVersion: tangleVersion, created: rfc3339Now(), architecture: network.architecture,
        representations: ["pool1", "fc1"], preprocessing: .fashionMNIST, classNames: ["left", "right"],
        data: DataSource(kind: "synthetic", directory: "", files: [], calibration: CalibrationSplit(rule: "last", count: 40)),
        hyperparameters: Hyperparameters(batchSize: 16, learningRate: 1e-2, epochs: 3, seed: 1))
}

@Suite(.serialized) struct TrainerTests {
    func options(epochs: Int = 3) -> TrainingOptions {
        var o = TrainingOptions()
        o.epochs = epochs
        o.batchSize = 16
        o.learningRate = 1e-2
        o.seed = 1
        o.logEvery = 2
        return o
    }

    @Test func learnsASeparableProblemAndWritesTheModelFolder() throws {
        StopSignal.reset()
        let data = try TrainingSet(holdingOutLast: 40, of: try halvesData(count: 200))
        let net = try Network(architecture: smallArchitecture, seed: 1)
        let folder = ModelFolder(path: NSTemporaryDirectory() + "tangle-train-\(UUID().uuidString)")
        let test = try halvesData(count: 60, seed: 9)
        let trainer = try Trainer(network: net, options: options(), data: data, test: test, folder: folder, card: card(for: net))
        let result = try trainer.run()
        #expect(result.status == "completed")
        #expect(result.epochs.count == 3)
        #expect(result.epochs.last!.trainLoss < result.epochs.first!.trainLoss + 1e-9)
        #expect(result.epochs.map(\.calibrationAccuracy).max()! > 0.9)
        #expect(Evaluator(network: net).evaluate(test).accuracy > 0.9)
        let (stored, loaded) = try folder.loadNetwork()
        #expect(stored.selectedEpoch != nil)
        #expect(loaded.parameters.array == net.parameters.array)
        #expect(FileManager.default.fileExists(atPath: folder.file("training.svg")))
        #expect(FileManager.default.fileExists(atPath: folder.file("training-log.jsonl")))
    }

    @Test func sameSeedGivesBitIdenticalWeightsAfterTraining() throws {
        StopSignal.reset()
        let data = try TrainingSet(holdingOutLast: 40, of: try halvesData(count: 200))
        func train() throws -> [Float] {
            let net = try Network(architecture: smallArchitecture, seed: 1)
            let t = try Trainer(network: net, options: options(epochs: 2), data: data, test: nil, folder: nil, card: card(for: net))
            try t.run()
            return net.parameters.array
        }
        let a = try train(), b = try train()
        #expect(a == b)
    }

    @Test func nonFiniteLossStopsWithAClearErrorAndKeepsTheCheckpoint() throws {
        StopSignal.reset()
        let data = try TrainingSet(holdingOutLast: 40, of: try halvesData(count: 200))
        let net = try Network(architecture: smallArchitecture, seed: 1)
        let folder = ModelFolder(path: NSTemporaryDirectory() + "tangle-nan-\(UUID().uuidString)")
        var o = options(epochs: 3)
        o.learningRate = 1e30
        let t = try Trainer(network: net, options: o, data: data, test: nil, folder: folder, card: card(for: net))
        do {
            try t.run()
            Issue.record("expected a non-finite loss")
        } catch let e as TrainingError {
            guard case .nonFiniteLoss = e else { Issue.record("wrong error \(e)"); return }
            #expect(e.description.contains("learning-rate"))
        }
        let stored = try folder.readCard()
        #expect(stored.status.hasPrefix("stopped: non-finite loss"))
    }

    @Test func aStopRequestEndsTheRunAsInterrupted() throws {
        StopSignal.reset()
        defer { StopSignal.reset() }
        let data = try TrainingSet(holdingOutLast: 40, of: try halvesData(count: 200))
        let net = try Network(architecture: smallArchitecture, seed: 1)
        var o = options(epochs: 50)
        o.maxSteps = nil
        let t = try Trainer(network: net, options: o, data: data, test: nil, folder: nil, card: card(for: net))
        StopSignal.request()
        let result = try t.run()
        #expect(result.status == "interrupted")
        #expect(result.epochs.isEmpty)
    }

    @Test func optionsThatCannotWorkAreRefused() throws {
        let data = try TrainingSet(holdingOutLast: 40, of: try halvesData(count: 50))
        let net = try Network(architecture: smallArchitecture, seed: 1)
        var o = options()
        o.batchSize = 64
        #expect(throws: TrainingError.self) {
            try Trainer(network: net, options: o, data: data, test: nil, folder: nil, card: card(for: net))
        }
        #expect(throws: DataError.self) { try TrainingSet(holdingOutLast: 50, of: try halvesData(count: 50)) }
    }

    @Test func confusionMatrixCountsEveryImage() throws {
        let net = try Network(architecture: smallArchitecture, seed: 1)
        let data = try halvesData(count: 30)
        let r = Evaluator(network: net, batchSize: 7).evaluate(data)
        #expect(r.confusion.flatMap { $0 }.reduce(0, +) == 30)
        #expect(abs(r.accuracy - Double(r.confusion[0][0] + r.confusion[1][1]) / 30) < 1e-12)
    }

    /// A resume point reads back exactly as written (generator words beyond 2^53 too), and a file
    /// that is not one is refused with a clear error.
    @Test func resumePointRoundTrips() throws {
        let r = ResumePoint(
            epochsDone: 3, globalStep: 690, bestCalibration: 0.875, shuffle: [UInt64.max, 1, 1 << 60, 7], augment: [9, 8, 7, 6],
            adamStep: 690, auxiliary: [[1.5, 0.25, 82.03681362938137, 86.6522574162528], []], log: ["{\"step\":20}"],
            probes: [], weights: [1, -2, 3.5], best: [0.5, 0, -1], adamM: [1e-8, 0, 2], adamV: [3e-12, 1, 0])
        #expect(try ResumePoint(decoding: try r.encoded(), source: "r") == r)
        let weights = Safetensors.encode([Safetensors.Tensor(name: "w", shape: [1], values: [1])])
        #expect(throws: TrainingError.self) { try ResumePoint(decoding: weights, source: "model.safetensors") }
        #expect(throws: TrainingError.self) { try ResumePoint(decoding: Data("junk".utf8), source: "junk") }
    }
}

