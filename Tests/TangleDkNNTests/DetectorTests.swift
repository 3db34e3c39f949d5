import Foundation
import Testing
import TangleData
import TangleNetwork
import TangleTensor
@testable import TangleDkNN

@Suite struct DetectorTests {
    @Test func scoresAreConsistent() throws {
        let arch = Architecture(
            input: Shape3(height: 6, width: 6, channels: 1),
            layers: [.conv2d("conv1", filters: 4, kernel: 3), .maxpool("pool1"), .dense("fc1", units: 8), .dense("logits", units: 3, activation: .linear)])
        let net = try Network(architecture: arch, seed: 1)
        var rng = SeededGenerator(seed: 5)
        let data = try LabelledImages(
            rows: 6, columns: 6, pixels: (0..<(400 * 36)).map { _ in UInt8(truncatingIfNeeded: rng.next()) },
            labels: (0..<400).map { Int32($0 % 3) }, classNames: ["a", "b", "c"])
        let index = try NeighborIndex.build(
            network: net, images: data, indices: Array(0..<300), settings: .init(layers: ["pool1", "fc1"], maxDimension: 16, pcaSample: 300),
            showProgress: false)
        let detector = try Detector(network: net, index: index, k: 10, kDistance: 5, batch: 32)
        let x = FloatBuffer(count: 100 * 36)
        data.copyImages(300..<400, into: x.pointer)
        let cal = detector.calibrate(x.pointer, labels: Array(data.labels[300..<350]), count: 50)
        #expect(cal.count == 50)
        let s = detector.scores(x.pointer + 50 * 36, count: 50)
        for r in s {
            #expect(r.labelCounts.count == 2)
            #expect(r.labelCounts.allSatisfy { $0.reduce(0, +) == 10 })
            #expect(r.distances.allSatisfy { $0 >= 0 && $0 <= 2.0001 })
            #expect(r.probability > 0 && r.probability <= 1)
            #expect(r.squeeze >= 0 && r.squeeze <= 2)
            let o = try #require(r.dknn)
            #expect(o.credibility >= 0 && o.credibility <= 1)
        }
        #expect(s.contains { $0.squeeze > 0 }, "squeezing changes some softmaxes")
    }

    /// Every score of an input, bit for bit, as a string (Doubles printed exactly).
    static func fingerprint(_ r: InputScores) -> String {
        func bits(_ d: Double?) -> String { d.map { String($0.bitPattern, radix: 16) } ?? "nil" }
        let dknn = r.dknn.map { "\($0.prediction) \($0.pValues.map { bits($0) }) \(bits($0.credibility)) \(bits($0.confidence))" } ?? "nil"
        return [
            "\(r.prediction)", bits(r.probability), bits(r.logSumExp), "\(r.labelCounts)", r.distances.map { bits($0) }.joined(separator: ","),
            dknn, bits(r.mahalanobis), bits(r.squeeze), r.roughness.map { bits($0) }.joined(separator: ","),
        ].joined(separator: "|")
    }

    /// An input's scores are the same bits whatever batch it is judged in and wherever it sits:
    /// alone, in batches of 7, 32, 150 and 256, forwards and backwards, in float32 and 8-bit
    /// arithmetic, over 8-bit and float32 neighbour storage, with a Mahalanobis layer.
    @Test(arguments: [
        (NeighborIndex.Settings.Storage.int8, Arithmetic.int8), (.float32, .float32), (.int8, .float32), (.float32, .int8),
    ])
    func scoresDoNotDependOnTheBatch(storage: NeighborIndex.Settings.Storage, arithmetic: Arithmetic) throws {
        let arch = Architecture(
            input: Shape3(height: 12, width: 12, channels: 2),
            layers: [
                .conv2d("conv1", filters: 8, kernel: 3), .maxpool("pool1"), .conv2d("conv2", filters: 20, kernel: 3), .maxpool("pool2"),
                .dense("fc1", units: 37), .dense("logits", units: 3, activation: .linear),
            ])
        let net = try Network(architecture: arch, seed: 3)
        let size = arch.input.size
        var rng = SeededGenerator(seed: 8)
        let count = 300
        let data = try LabelledImages(
            rows: 12, columns: 24, pixels: (0..<(count * size)).map { _ in UInt8(truncatingIfNeeded: rng.next()) },
            labels: (0..<count).map { Int32($0 % 3) }, classNames: ["a", "b", "c"])
        let index = try NeighborIndex.build(
            network: net, images: data, indices: Array(0..<200),
            settings: .init(layers: ["pool1", "pool2", "fc1", "logits"], maxDimension: 24, pcaSample: 200, storage: storage, arithmetic: arithmetic),
            showProgress: false)
        let x = FloatBuffer(count: 100 * size)
        data.copyImages(200..<300, into: x.pointer)
        let reference = try Detector(network: net, index: index, k: 10, kDistance: 5, batch: 256)
        reference.gaussian = ("fc1", try {
            let feats = try net.representations(["fc1"], of: x.pointer, count: 100, arithmetic: arithmetic, batchInvariant: true)[0]
            return GaussianScore.fit(feats.pointer, labels: Array(data.labels[200..<300]), count: 100, dimension: 37, classes: 3)
        }())
        _ = reference.calibrate(x.pointer, labels: Array(data.labels[200..<300]), count: 100)
        let judged = 100
        // Alone, one at a time.
        let alone = (0..<judged).map { reference.scores(x.pointer + $0 * size, count: 1)[0] }.map(Self.fingerprint)
        #expect(alone.count == judged)
        for batch in [7, 32, 150, 256] {
            let detector = try Detector(network: net, index: index, k: 10, kDistance: 5, batch: batch)
            detector.conformal = reference.conformal
            detector.gaussian = reference.gaussian
            // In order, in batches of `batch` (the last one shorter).
            let forwards = detector.scores(x.pointer, count: judged).map(Self.fingerprint)
            #expect(forwards.count == judged)
            #expect(zip(forwards, alone).filter { $0 != $1 }.count == 0, "batch \(batch): inputs differ")
            // Reversed: every input at another position, beside other inputs.
            let reversed = FloatBuffer(count: judged * size)
            for i in 0..<judged { (reversed.pointer + i * size).update(from: x.pointer + (judged - 1 - i) * size, count: size) }
            let backwards = Array(detector.scores(reversed.pointer, count: judged).map(Self.fingerprint).reversed())
            #expect(backwards.count == judged)
            #expect(zip(backwards, alone).filter { $0 != $1 }.count == 0, "batch \(batch) reversed: inputs differ")
        }
        #expect(Set(alone).count > judged / 2, "the inputs get different scores")
    }

    @Test func gaussianScoreIsTheMahalanobisDistance() {
        // Two classes in 2-d with covariance diag(4, 1) around (0,0) and (10,0).
        var rng = SeededGenerator(seed: 9)
        var x: [Float] = [], labels: [Int32] = []
        for i in 0..<4000 {
            let c = i % 2
            let a: Float = Float(c * 10) + 2 * rng.nextNormal()
            x.append(a)
            x.append(rng.nextNormal())
            labels.append(Int32(c))
        }
        let g = x.withUnsafeBufferPointer { GaussianScore.fit($0.baseAddress!, labels: labels, count: 4000, dimension: 2, classes: 2) }
        let q: [Float] = [0, 2, 4, 0]
        let s = q.withUnsafeBufferPointer { g.score($0.baseAddress!, count: 2) }
        #expect(abs(s[0] - 4) < 0.3)  // (0,2): 2² / 1
        #expect(abs(s[1] - 4) < 0.3)  // (4,0): 4² / 4 from class 0
    }

    @Test func squeezersReduceDepthAndSmooth() {
        let img: [Float] = [0.1, 0.9, 0.5, 0.52]
        var out = [Float](repeating: 0, count: 4)
        img.withUnsafeBufferPointer { i in out.withUnsafeMutableBufferPointer { Squeezer.bitDepth3.apply(i.baseAddress!, into: $0.baseAddress!, height: 2, width: 2, channels: 1) } }
        let expected: [Float] = [Float(1) / 7, Float(6) / 7, Float(4) / 7, Float(4) / 7]
        #expect(out == expected)
        img.withUnsafeBufferPointer { i in out.withUnsafeMutableBufferPointer { Squeezer.median2x2.apply(i.baseAddress!, into: $0.baseAddress!, height: 2, width: 2, channels: 1) } }
        #expect(abs(out[0] - 0.51) < 1e-6)
    }
}
