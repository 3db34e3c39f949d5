import Foundation
import TangleDetector
import TangleDkNN
import Testing
@testable import TangleEvaluation
@testable import TangleVerdict

@Suite struct IndexCacheTests {
    @Test func keyChangesWithWeightsDataAndSettings() {
        let s = NeighborIndex.Settings(layers: ["pool1"])
        let k = IndexCache.key(weightsSHA256: "a", dataSHA256: ["d"], settings: s, trainCount: 10)
        #expect(k == IndexCache.key(weightsSHA256: "a", dataSHA256: ["d"], settings: s, trainCount: 10))
        #expect(k != IndexCache.key(weightsSHA256: "b", dataSHA256: ["d"], settings: s, trainCount: 10))
        #expect(k != IndexCache.key(weightsSHA256: "a", dataSHA256: ["e"], settings: s, trainCount: 10))
        #expect(k != IndexCache.key(weightsSHA256: "a", dataSHA256: ["d"], settings: .init(layers: ["pool2"]), trainCount: 10))
        #expect(k != IndexCache.key(weightsSHA256: "a", dataSHA256: ["d"], settings: s, trainCount: 11))
    }

    @Test func overrideWins() {
        #expect(IndexCache(override: "/tmp/x").directory == "/tmp/x")
    }
}

@Suite struct DetectionReportTests {
    func scores(credibility: Double, probability: Double, lse: Double, distance: Double) -> InputScores {
        InputScores(
            prediction: 0, probability: probability, logSumExp: lse, labelCounts: [[5, 0]], distances: [distance],
            dknn: ConformalPredictor.Outcome(nonconformity: [0, 5], pValues: [credibility, 0], prediction: 0, credibility: credibility, confidence: 1),
            mahalanobis: distance * 2, squeeze: 0.1)
    }

    @Test func everyScoreIsOrientedSoHigherIsMoreAbnormal() {
        let normal = scores(credibility: 0.9, probability: 0.99, lse: 10, distance: 0.1)
        let odd = scores(credibility: 0.1, probability: 0.5, lse: 1, distance: 0.9)
        func judged(_ v: Double) -> VerdictRule.Judgement {
            .init(verdict: v > 1 ? .outlier : .inDistribution, outlierScore: v, adversarialScore: v / 2, verdictScore: v, routingScore: v / 2, reason: "", layers: [], pValues: [:])
        }
        let neg = DetectionReport.scoreTable([normal, normal], [judged(0.5), judged(0.4)], layers: ["fc2"])
        let pos = DetectionReport.scoreTable([odd], [judged(3)], layers: ["fc2"])
        let f = DetectionReport.figures(negatives: neg, positives: pos, judgements: [judged(3)], rightKind: .outlier)
        #expect(f.count == 1 && f.flagged == 1 && f.routed == 1)
        for name in ["credibility", "msp", "energy", "mahalanobis", "knn_fc2", "verdict_score", "outlier_score", "adversarial_score"] {
            #expect(f.auroc[name] == 1, "\(name)")
            #expect(f.tprAt5[name] == 1, "\(name)")
        }
        #expect(f.auroc["squeeze"] == 0.5)
    }

    /// `flagged` is the fraction of the set the verdict rule flags (any verdict but
    /// in-distribution); `routed` the fraction of those flagged given the set's own kind.
    @Test func flaggedAndRoutedCountTheVerdicts() {
        func judged(_ verdict: Verdict) -> VerdictRule.Judgement {
            .init(verdict: verdict, outlierScore: 0, adversarialScore: 0, verdictScore: 0, routingScore: 0, reason: "", layers: [], pValues: [:])
        }
        let verdicts: [Verdict] = [.outlier, .inDistribution, .adversarial, .outlier, .inDistribution, .outlier, .inDistribution, .inDistribution]
        let j = verdicts.map(judged)
        let ood = DetectionReport.figures(negatives: [:], positives: [:], judgements: j, rightKind: .outlier)
        #expect(ood.count == 8)
        #expect(ood.flagged == 0.5, "4 of 8 flagged")
        #expect(ood.routed == 0.75, "3 of the 4 flagged routed outlier")
        let attack = DetectionReport.figures(negatives: [:], positives: [:], judgements: j, rightKind: .adversarial)
        #expect(attack.flagged == 0.5 && attack.routed == 0.25, "1 of the 4 flagged routed adversarial")
        let none = DetectionReport.figures(negatives: [:], positives: [:], judgements: j.filter { $0.verdict == .inDistribution }, rightKind: .outlier)
        #expect(none.flagged == 0 && none.routed == 0, "nothing flagged: nothing routed, not NaN")
        let empty = DetectionReport.figures(negatives: [:], positives: [:], judgements: [], rightKind: .outlier)
        #expect(empty.count == 0 && empty.flagged == 0 && empty.routed == 0)
    }
}
