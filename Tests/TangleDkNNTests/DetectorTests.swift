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
        // The batch size does not change the scores.
        let one = try Detector(network: net, index: index, k: 10, kDistance: 5, batch: 7)
        one.conformal = detector.conformal
        let again = one.scores(x.pointer + 50 * 36, count: 50)
        #expect(again.map(\.labelCounts) == s.map(\.labelCounts))
        #expect(again.map(\.dknn) == s.map(\.dknn))
        // Room for the batch and its squeezed copies: one forward pass for all three gives the same scores.
        let together = try Detector(network: net, index: index, k: 10, kDistance: 5, batch: 150)
        together.conformal = detector.conformal
        let joint = together.scores(x.pointer + 50 * 36, count: 50)
        #expect(joint.map(\.prediction) == s.map(\.prediction))
        #expect(joint.map(\.labelCounts) == s.map(\.labelCounts))
        for (a, b) in zip(joint, s) {
            #expect(abs(a.squeeze - b.squeeze) < 1e-5)
            #expect(abs(a.probability - b.probability) < 1e-6)
        }
        #expect(s.contains { $0.squeeze > 0 }, "squeezing changes some softmaxes")
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
