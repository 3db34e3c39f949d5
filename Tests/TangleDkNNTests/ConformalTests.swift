import Foundation
import Testing
import TangleNeighbors
@testable import TangleDkNN

@Suite struct DkNNFixtureTests {
    @Test func everyExpectedValueMatchesExactly() throws {
        let c = try #require((try ReferenceFixture.json()["dknn_cases"] as? [[String: Any]])?.first)
        let k = c["k"] as! Int, classes = c["classes"] as! Int
        let train = c["train"] as! [[[Double]]], cal = c["calibration"] as! [[[Double]]], test = c["test"] as! [[[Double]]]
        let trainLabels = (c["train_labels"] as! [Int]).map(Int32.init)
        let calLabels = c["calibration_labels"] as! [Int]
        let e = c["expected"] as! [String: Any]

        let indexes = train.map { layer -> NearestNeighbors in
            let flat = layer.flatMap { $0.map(Float.init) }
            return flat.withUnsafeBufferPointer { NearestNeighbors(points: $0.baseAddress!, count: layer.count, dimension: layer[0].count) }
        }
        func counts(_ sets: [[[Double]]]) -> [[[Int]]] {  // [point][layer][class]
            let perLayer = zip(indexes, sets).map { index, points -> [[Int]] in
                let flat = points.flatMap { $0.map(Float.init) }
                let found = flat.withUnsafeBufferPointer { index.search($0.baseAddress!, queryCount: points.count, k: k) }
                return found.map { labelCounts($0.map(\.index), labels: trainLabels, classes: classes) }
            }
            return (0..<sets[0].count).map { p in perLayer.map { $0[p] } }
        }
        let calCounts = counts(cal)
        let calAlpha = zip(calCounts, calLabels).map { ConformalPredictor.nonconformity(counts: $0, k: k)[$1] }
        #expect(calAlpha == e["calibration_nonconformity"] as! [Int])
        let predictor = ConformalPredictor(k: k, calibrationNonconformity: calAlpha)
        let testCounts = counts(test)
        #expect(testCounts == e["neighbour_label_counts"] as! [[[Int]]])
        let outcomes = testCounts.map { predictor.outcome(counts: $0) }
        #expect(outcomes.map(\.nonconformity) == e["nonconformity"] as! [[Int]])
        #expect(outcomes.map(\.pValues) == e["p_values"] as! [[Double]])
        #expect(outcomes.map(\.prediction) == e["prediction"] as! [Int])
        #expect(outcomes.map(\.credibility) == e["credibility"] as! [Double])
        #expect(outcomes.map(\.confidence) == e["confidence"] as! [Double])
    }
}

@Suite struct ConformalTests {
    @Test func pValuesCountScoresAtOrAbove() {
        let p = ConformalPredictor(k: 5, calibrationNonconformity: [3, 0, 1, 1, 2])
        #expect(p.pValue(0) == 1)
        #expect(p.pValue(1) == 0.8)
        #expect(p.pValue(3) == 0.2)
        #expect(p.pValue(4) == 0)
    }

    @Test func tiesGoToTheFirstClass() {
        let p = ConformalPredictor(k: 2, calibrationNonconformity: [0, 1, 2])
        let o = p.outcome(counts: [[1, 1, 0]])
        #expect(o.prediction == 0)
        #expect(o.credibility == o.pValues[1])
        #expect(o.confidence == 1 - o.pValues[1])
    }
}
