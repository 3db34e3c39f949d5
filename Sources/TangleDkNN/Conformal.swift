/// The conformal side of Deep k-Nearest Neighbors (Papernot & McDaniel 2018).
///
/// For an input with neighbour label counts `c[l][j]` (layer `l`, class `j`, out of `k` per
/// layer), the nonconformity of class `j` is `α_j = Σ_l (k − c[l][j])`. Calibration scores are
/// the nonconformities of held-out calibration inputs at their true labels. Then
/// `p_j = |{calibration α ≥ α_j}| / n`; the prediction is `argmax p` (the first on ties),
/// credibility `max p`, confidence `1 − the second largest p`.
public struct ConformalPredictor: Sendable, Codable, Equatable {
    /// Neighbours per layer.
    public let k: Int
    /// Calibration nonconformities, sorted ascending.
    public let calibration: [Int]

    /// Creates a predictor from calibration nonconformities (any order).
    public init(k: Int, calibrationNonconformity: [Int]) {
        self.k = k
        calibration = calibrationNonconformity.sorted()
    }

    /// One input's conformal outcome.
    public struct Outcome: Sendable, Equatable {
        /// `α_j` per class.
        public var nonconformity: [Int]
        /// `p_j` per class.
        public var pValues: [Double]
        /// `argmax p` (first on ties).
        public var prediction: Int
        /// `max p`.
        public var credibility: Double
        /// `1 − second largest p`.
        public var confidence: Double

        /// Creates an outcome.
        public init(nonconformity: [Int], pValues: [Double], prediction: Int, credibility: Double, confidence: Double) {
            self.nonconformity = nonconformity
            self.pValues = pValues
            self.prediction = prediction
            self.credibility = credibility
            self.confidence = confidence
        }
    }

    /// `α_j = Σ_l (k − counts[l][j])`.
    public static func nonconformity(counts: [[Int]], k: Int) -> [Int] {
        guard let classes = counts.first?.count else { return [] }
        return (0..<classes).map { j in counts.reduce(0) { $0 + (k - $1[j]) } }
    }

    /// The fraction of calibration scores `≥ alpha`.
    public func pValue(_ alpha: Int) -> Double {
        guard !calibration.isEmpty else { return 0 }
        // First index with calibration[i] >= alpha (binary search on the sorted scores).
        var lo = 0, hi = calibration.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if calibration[mid] < alpha { lo = mid + 1 } else { hi = mid }
        }
        return Double(calibration.count - lo) / Double(calibration.count)
    }

    /// The outcome for per-layer, per-class neighbour counts.
    public func outcome(counts: [[Int]]) -> Outcome {
        let alpha = Self.nonconformity(counts: counts, k: k)
        let p = alpha.map(pValue)
        var best = 0
        for j in 1..<p.count where p[j] > p[best] { best = j }
        var second = 0.0
        for j in 0..<p.count where j != best { second = max(second, p[j]) }
        return Outcome(nonconformity: alpha, pValues: p, prediction: best, credibility: p[best], confidence: 1 - second)
    }
}

/// Counts, per class, the labels of a neighbour list.
public func labelCounts<C: Collection>(_ neighbours: C, labels: [Int32], classes: Int) -> [Int] where C.Element == Int {
    var c = [Int](repeating: 0, count: classes)
    for n in neighbours { c[Int(labels[n])] += 1 }
    return c
}
