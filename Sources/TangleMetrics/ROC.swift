/// Detection metrics for scores where **higher means more abnormal** (flagged).
///
/// `negatives` are in-distribution scores, `positives` the ones that should be flagged.
public enum ROC {
    /// Area under the ROC curve: the probability that a random positive scores above a random
    /// negative, ties counting one half (the Mann–Whitney statistic).
    public static func auroc(negatives: [Double], positives: [Double]) -> Double {
        guard !negatives.isEmpty, !positives.isEmpty else { return .nan }
        let all = negatives.map { ($0, false) } + positives.map { ($0, true) }
        let sorted = all.sorted { $0.0 < $1.0 }
        var rankSum = 0.0
        var i = 0
        while i < sorted.count {
            var j = i
            while j + 1 < sorted.count && sorted[j + 1].0 == sorted[i].0 { j += 1 }
            let rank = Double(i + j) / 2 + 1
            for t in i...j where sorted[t].1 { rankSum += rank }
            i = j + 1
        }
        let np = Double(positives.count), nn = Double(negatives.count)
        return (rankSum - np * (np + 1) / 2) / (np * nn)
    }

    /// The threshold that flags at most `rate` of the negatives (scores strictly above it are flagged).
    public static func threshold(negatives: [Double], falsePositiveRate rate: Double) -> Double {
        guard !negatives.isEmpty else { return .infinity }
        let s = negatives.sorted()
        let allowed = Int((rate * Double(s.count)).rounded(.down))
        // Flag the `allowed` largest: the threshold is the next value down.
        let index = s.count - allowed - 1
        return index < 0 ? -.infinity : s[index]
    }

    /// The fraction of `scores` strictly above `threshold`.
    public static func flaggedFraction(_ scores: [Double], above threshold: Double) -> Double {
        guard !scores.isEmpty else { return .nan }
        return Double(scores.filter { $0 > threshold }.count) / Double(scores.count)
    }

    /// True-positive rate at the threshold that flags `rate` of the negatives.
    public static func tpr(negatives: [Double], positives: [Double], atFalsePositiveRate rate: Double) -> Double {
        flaggedFraction(positives, above: threshold(negatives: negatives, falsePositiveRate: rate))
    }

    /// False-positive rate at the first threshold whose true-positive rate reaches 95 %.
    public static func fprAt95TPR(negatives: [Double], positives: [Double]) -> Double {
        guard !negatives.isEmpty, !positives.isEmpty else { return .nan }
        let p = positives.sorted()
        // The largest threshold t with fraction(positives >= t) >= 0.95.
        let index = Int((0.05 * Double(p.count)).rounded(.down))
        let t = p[min(index, p.count - 1)]
        return Double(negatives.filter { $0 >= t }.count) / Double(negatives.count)
    }

    /// Area under the precision–recall curve (average precision), positives as the relevant class.
    public static func aupr(negatives: [Double], positives: [Double]) -> Double {
        guard !negatives.isEmpty, !positives.isEmpty else { return .nan }
        let all = (negatives.map { ($0, false) } + positives.map { ($0, true) }).sorted { $0.0 > $1.0 }
        var tp = 0.0, fp = 0.0, ap = 0.0
        var i = 0
        while i < all.count {
            var j = i
            var newTP = 0.0, newFP = 0.0
            while j < all.count && all[j].0 == all[i].0 {
                if all[j].1 { newTP += 1 } else { newFP += 1 }
                j += 1
            }
            tp += newTP
            fp += newFP
            if newTP > 0 { ap += (newTP / Double(positives.count)) * (tp / (tp + fp)) }
            i = j
        }
        return ap
    }
}
