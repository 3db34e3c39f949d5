import Foundation
import TangleDkNN
import TangleMetrics
import TangleVerdict

/// Detection figures of every score against one set of inputs that should be flagged.
public struct SetFigures: Codable, Sendable {
    /// Images in the set.
    public var count: Int
    /// AUROC per score (in-distribution negative).
    public var auroc: [String: Double]
    /// FPR at 95 % TPR per score.
    public var fpr95: [String: Double]
    /// AUPR per score (the set positive).
    public var aupr: [String: Double]
    /// Fraction flagged when each score's own threshold flags 5 % of the in-distribution test set.
    public var tprAt5: [String: Double]
    /// Fraction flagged by the calibrated verdict rule.
    public var flagged: Double
    /// Of the flagged, the fraction routed to the right kind (`outlier` for outlier sets,
    /// `adversarial` for attacks).
    public var routed: Double
}

/// One attack's figures.
public struct AttackFigures: Codable, Sendable {
    /// Model accuracy on the attacked images.
    public var accuracy: Double
    /// DkNN accuracy on them.
    public var dknnAccuracy: Double
    /// Mean DkNN credibility on them.
    public var meanCredibility: Double
    /// Fraction of all attacked images the verdict rule flags.
    public var flagged: Double
    /// Fraction flagged of those the attack fooled: whose prediction it changed (an attack made here),
    /// or whose prediction is not their true class (an attack set, made anywhere).
    public var flaggedSuccessful: Double
    /// Images the attack fooled, in the same sense.
    public var successful: Int
    /// Of the flagged, the fraction routed `adversarial`.
    public var routed: Double
    /// Detection figures against the same images before the attack.
    public var detection: SetFigures
    /// AUROC per score (the same as `detection.auroc`, at the top level for the report's readers).
    public var auroc: [String: Double]
}

/// The detector report behind `tangle evaluate --ood … --attacks …`.
public struct DetectionReport: Codable, Sendable {
    /// The calibration judged with.
    public var calibration: String
    /// Model accuracy on the in-distribution test images.
    public var accuracy: Double
    /// DkNN accuracy on them.
    public var dknnAccuracy: Double
    /// Mean DkNN credibility on them.
    public var meanCredibility: Double
    /// Fraction of the in-distribution test images the verdict rule flags.
    public var falseFlagRate: Double
    /// Test images.
    public var testCount: Int
    /// Per outlier set.
    public var ood: [String: SetFigures]
    /// Per attack (`fgsm:0.1`).
    public var attacks: [String: AttackFigures]
    /// True kind → verdict → count.
    public var verdicts: [String: [String: Int]]
    /// Index bytes.
    public var indexBytes: Int
    /// Seconds spent building the index (0 when it came from the cache).
    public var indexBuildSeconds: Double

    /// Every score, oriented so that higher means more abnormal, with the verdict rule's scores.
    public static func scoreTable(_ s: [InputScores], _ j: [VerdictRule.Judgement], layers: [String]) -> [String: [Double]] {
        var t: [String: [Double]] = [
            "credibility": s.map { 1 - ($0.dknn?.credibility ?? 0) },
            "msp": s.map { 1 - $0.probability },
            "energy": s.map { -$0.logSumExp },
            "squeeze": s.map(\.squeeze),
            "outlier_score": j.map(\.outlierScore),
            "adversarial_score": j.map(\.adversarialScore),
            "verdict_score": j.map(\.verdictScore),
        ]
        if s.first?.mahalanobis != nil { t["mahalanobis"] = s.map { $0.mahalanobis ?? 0 } }
        for (l, name) in layers.enumerated() { t["knn_\(name)"] = s.map { $0.distances[l] } }
        for (i, e) in Roughness.exponents.enumerated() { t["roughness_\(e)"] = s.map { i < $0.roughness.count ? $0.roughness[i] : 0 } }
        t["noise_floor"] = s.map(\.noiseFloor)
        t["incoherence"] = s.map { 1 - $0.coherence }
        t["edge_to_edge"] = s.map(\.framing.edgeToEdge)
        t["span_shortfall"] = s.map(\.framing.spanShortfall)
        if j.contains(where: { $0.perturbationScore != nil }) { t["perturbation_score"] = j.map { $0.perturbationScore ?? 0 } }
        return t
    }

    /// Detection figures of `positives` against `negatives` for every score, and of the verdict
    /// rule's `judgements` of the positives: the fraction flagged (any verdict but
    /// in-distribution) and, of those, the fraction given `rightKind`.
    public static func figures(
        negatives: [String: [Double]], positives: [String: [Double]], judgements: [VerdictRule.Judgement], rightKind: Verdict
    ) -> SetFigures {
        let flagged = judgements.filter { $0.verdict != .inDistribution }
        var f = SetFigures(
            count: judgements.count, auroc: [:], fpr95: [:], aupr: [:], tprAt5: [:],
            flagged: judgements.isEmpty ? 0 : Double(flagged.count) / Double(judgements.count),
            routed: flagged.isEmpty ? 0 : Double(flagged.filter { $0.verdict == rightKind }.count) / Double(flagged.count))
        for (name, neg) in negatives {
            guard let pos = positives[name] else { continue }
            f.auroc[name] = ROC.auroc(negatives: neg, positives: pos)
            f.fpr95[name] = ROC.fprAt95TPR(negatives: neg, positives: pos)
            f.aupr[name] = ROC.aupr(negatives: neg, positives: pos)
            f.tprAt5[name] = ROC.tpr(negatives: neg, positives: pos, atFalsePositiveRate: 0.05)
        }
        return f
    }
}
