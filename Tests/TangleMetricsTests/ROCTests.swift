import Testing
@testable import TangleMetrics

@Suite struct ROCTests {
    @Test func aurocOfPerfectRandomAndReversedScores() {
        #expect(ROC.auroc(negatives: [0, 1, 2], positives: [3, 4]) == 1)
        #expect(ROC.auroc(negatives: [3, 4], positives: [0, 1, 2]) == 0)
        #expect(ROC.auroc(negatives: [1, 1], positives: [1, 1]) == 0.5)
        // One inversion out of six pairs.
        #expect(abs(ROC.auroc(negatives: [0, 2.5, 1], positives: [2, 3]) - 5.0 / 6) < 1e-12)
    }

    @Test func thresholdFlagsAtMostTheRate() {
        let neg = (0..<100).map(Double.init)
        let t = ROC.threshold(negatives: neg, falsePositiveRate: 0.05)
        #expect(ROC.flaggedFraction(neg, above: t) == 0.05)
        #expect(ROC.tpr(negatives: neg, positives: [96, 200, 50], atFalsePositiveRate: 0.05) == 2.0 / 3)
    }

    @Test func fpr95AndAupr() {
        let neg = [0.0, 1, 2, 3, 4]
        let pos = (0..<20).map { 2.5 + Double($0) }
        // 19 of the 20 positives are >= 3.5; of the negatives only 4 is.
        #expect(ROC.fprAt95TPR(negatives: neg, positives: pos) == 0.2)
        #expect(ROC.aupr(negatives: [0, 1], positives: [2, 3]) == 1)
        #expect(abs(ROC.aupr(negatives: [2], positives: [1, 3]) - (0.5 * 1 + 0.5 * 2.0 / 3)) < 1e-12)
    }
}
