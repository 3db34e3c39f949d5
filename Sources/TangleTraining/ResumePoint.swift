import Foundation
import TangleEntanglement
import TangleModelStore

/// Where a training run stood at the end of its last completed epoch: everything needed to continue
/// it so that the result is the same, bit for bit, as a run that was never stopped.
///
/// Written beside the model as ``fileName`` after every epoch but the last, and removed when the run
/// completes. `tangle train --resume` reads it. The weights, the best weights so far and Adam's two
/// moment vectors are F32 tensors; the rest is JSON in the file's metadata.
public struct ResumePoint: Sendable, Equatable {
    /// The file inside the model folder.
    public static let fileName = "resume.safetensors"

    /// Epochs completed (the run continues with the next).
    public var epochsDone: Int
    /// Optimiser steps taken.
    public var globalStep: Int
    /// The best calibration accuracy so far (its weights are ``best``).
    public var bestCalibration: Double
    /// The shuffling generator's state.
    public var shuffle: [UInt64]
    /// The augmentation generator's state.
    public var augment: [UInt64]
    /// Adam's step count.
    public var adamStep: Int
    /// Each auxiliary term's state (a learned temperature per layer), in objective order.
    public var auxiliary: [[Double]]
    /// `training-log.jsonl` so far.
    public var log: [String]
    /// The entanglement probe's measurements so far.
    public var probes: [ProbeRecord]
    /// The network's parameters.
    public var weights: [Float]
    /// The parameters of the best epoch so far.
    public var best: [Float]
    /// Adam's first moments.
    public var adamM: [Float]
    /// Adam's second moments.
    public var adamV: [Float]

    /// One measurement of the entanglement probe.
    public struct ProbeRecord: Codable, Sendable, Equatable {
        /// The optimiser step it was taken after.
        public var step: Int
        /// The same in epochs.
        public var epoch: Double
        /// Every hidden layer's figures.
        public var layers: [EntanglementProbe.Layer]
    }

    /// The JSON part (everything but the tensors). Generator words are hex strings, so no JSON
    /// reader can round them.
    private struct Header: Codable {
        var formatVersion: Int
        var epochsDone: Int
        var globalStep: Int
        var bestCalibration: Double
        var shuffle: [String]
        var augment: [String]
        var adamStep: Int
        var auxiliary: [[Double]]
        var log: [String]
        var probes: [ProbeRecord]
    }

    /// The safetensors bytes.
    public func encoded() throws -> Data {
        let header = Header(
            formatVersion: 1, epochsDone: epochsDone, globalStep: globalStep, bestCalibration: bestCalibration,
            shuffle: shuffle.map { String($0, radix: 16) }, augment: augment.map { String($0, radix: 16) }, adamStep: adamStep,
            auxiliary: auxiliary, log: log, probes: probes)
        let json = String(decoding: try Self.encoder.encode(header), as: UTF8.self)
        let tensors = [("weights", weights), ("best", best), ("adam.m", adamM), ("adam.v", adamV)].map {
            Safetensors.Tensor(name: $0.0, shape: [$0.1.count], values: $0.1)
        }
        return Safetensors.encode(tensors, metadata: ["tangle_resume": json])
    }

    /// Reads a resume point.
    /// - Throws: ``TrainingError/cannotResume(_:)`` when the file is not one.
    public init(decoding data: Data, source: String) throws {
        let decoded: (tensors: [Safetensors.Tensor], metadata: [String: String])
        do { decoded = try Safetensors.decode(data, source: source) } catch {
            throw TrainingError.cannotResume("\(error)")
        }
        guard let json = decoded.metadata["tangle_resume"],
            let header = try? Self.decoder.decode(Header.self, from: Data(json.utf8)), header.formatVersion == 1
        else { throw TrainingError.cannotResume("\(source) is not a resume point this version of tangle writes") }
        let byName = Dictionary(decoded.tensors.map { ($0.name, $0.values) }, uniquingKeysWith: { a, _ in a })
        guard let w = byName["weights"], let b = byName["best"], let m = byName["adam.m"], let v = byName["adam.v"],
            w.count == b.count, w.count == m.count, w.count == v.count
        else { throw TrainingError.cannotResume("\(source) lacks one of its tensors (weights, best, adam.m, adam.v)") }
        let shuffle = header.shuffle.compactMap { UInt64($0, radix: 16) }, augment = header.augment.compactMap { UInt64($0, radix: 16) }
        guard shuffle.count == 4, augment.count == 4 else { throw TrainingError.cannotResume("\(source) has a malformed generator state") }
        epochsDone = header.epochsDone
        globalStep = header.globalStep
        bestCalibration = header.bestCalibration
        self.shuffle = shuffle
        self.augment = augment
        adamStep = header.adamStep
        auxiliary = header.auxiliary
        log = header.log
        probes = header.probes
        weights = w
        best = b
        adamM = m
        adamV = v
    }

    /// Creates a resume point from its parts.
    public init(
        epochsDone: Int, globalStep: Int, bestCalibration: Double, shuffle: [UInt64], augment: [UInt64], adamStep: Int,
        auxiliary: [[Double]], log: [String], probes: [ProbeRecord], weights: [Float], best: [Float], adamM: [Float], adamV: [Float]
    ) {
        self.epochsDone = epochsDone
        self.globalStep = globalStep
        self.bestCalibration = bestCalibration
        self.shuffle = shuffle
        self.augment = augment
        self.adamStep = adamStep
        self.auxiliary = auxiliary
        self.log = log
        self.probes = probes
        self.weights = weights
        self.best = best
        self.adamM = adamM
        self.adamV = adamV
    }

    private static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.keyEncodingStrategy = .convertToSnakeCase
        e.outputFormatting = [.sortedKeys]
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return e
    }()

    private static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        d.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return d
    }()

    /// The settings in which a run's card and a resuming command's card must agree: everything but
    /// what training itself writes (epochs, the kept epoch, status, digest, times, final temperatures).
    /// - Returns: the names of the settings that differ (empty when the command continues the run).
    public static func differences(saved: ModelCard, command: ModelCard) throws -> [String] {
        func settings(_ card: ModelCard) throws -> [String: Any] {
            var c = card
            c.epochs = []
            c.selectedEpoch = nil
            c.status = ""
            c.weightsSHA256 = ""
            c.created = ""
            c.toolVersion = ""
            c.objective = c.objective.map { var t = $0; t.finalTemperatures = nil; return t }
            let object = try JSONSerialization.jsonObject(with: try ModelFolder.encoder.encode(c))
            return object as? [String: Any] ?? [:]
        }
        let a = try settings(saved), b = try settings(command)
        return Set(a.keys).union(b.keys).sorted().filter { key in
            let x = a[key].map { try? JSONSerialization.data(withJSONObject: [$0], options: [.sortedKeys]) } ?? nil
            let y = b[key].map { try? JSONSerialization.data(withJSONObject: [$0], options: [.sortedKeys]) } ?? nil
            return x != y
        }
    }
}
