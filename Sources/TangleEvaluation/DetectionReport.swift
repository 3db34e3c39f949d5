import Foundation
import TangleAttacks
import TangleData
import TangleDkNN
import TangleMetrics
import TangleNetwork
import TangleTensor

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
    /// Fraction flagged at a 5 % false-flag rate on in-distribution, per score.
    public var tprAt5: [String: Double]
}

/// One attack's figures.
public struct AttackFigures: Codable, Sendable {
    /// Model accuracy on the attacked images.
    public var accuracy: Double
    /// DkNN accuracy on them.
    public var dknnAccuracy: Double
    /// Mean DkNN credibility on them.
    public var meanCredibility: Double
    /// Detection figures against the same images before the attack.
    public var detection: SetFigures

    /// Creates a record.
    public init(accuracy: Double, dknnAccuracy: Double, meanCredibility: Double, detection: SetFigures) {
        self.accuracy = accuracy
        self.dknnAccuracy = dknnAccuracy
        self.meanCredibility = meanCredibility
        self.detection = detection
    }
}

/// The detector report behind `tangle evaluate --ood … --attacks …`.
public struct DetectionReport: Codable, Sendable {
    /// Model accuracy on the in-distribution test images.
    public var accuracy: Double
    /// DkNN accuracy on them.
    public var dknnAccuracy: Double
    /// Mean DkNN credibility on them.
    public var meanCredibility: Double
    /// Per outlier set.
    public var ood: [String: SetFigures]
    /// Per attack (`fgsm:0.1`).
    public var attacks: [String: AttackFigures]
    /// Index bytes.
    public var indexBytes: Int
    /// Seconds spent building the index (0 when it came from the cache).
    public var indexBuildSeconds: Double

    /// Creates a report.
    public init(
        accuracy: Double, dknnAccuracy: Double, meanCredibility: Double, ood: [String: SetFigures],
        attacks: [String: AttackFigures], indexBytes: Int, indexBuildSeconds: Double
    ) {
        self.accuracy = accuracy
        self.dknnAccuracy = dknnAccuracy
        self.meanCredibility = meanCredibility
        self.ood = ood
        self.attacks = attacks
        self.indexBytes = indexBytes
        self.indexBuildSeconds = indexBuildSeconds
    }

    /// Every score, oriented so that higher means more abnormal.
    public static func scoreTable(_ s: [InputScores], layers: [String]) -> [String: [Double]] {
        var t: [String: [Double]] = [
            "credibility": s.map { 1 - ($0.dknn?.credibility ?? 0) },
            "msp": s.map { 1 - $0.probability },
            "energy": s.map { -$0.logSumExp },
            "squeeze": s.map(\.squeeze),
        ]
        if s.first?.mahalanobis != nil { t["mahalanobis"] = s.map { $0.mahalanobis ?? 0 } }
        for (l, name) in layers.enumerated() { t["knn_\(name)"] = s.map { $0.distances[l] } }
        return t
    }

    /// Detection figures of `positives` against `negatives` for every score.
    public static func figures(negatives: [String: [Double]], positives: [String: [Double]], count: Int) -> SetFigures {
        var f = SetFigures(count: count, auroc: [:], fpr95: [:], aupr: [:], tprAt5: [:])
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
