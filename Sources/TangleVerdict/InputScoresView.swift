import TangleDkNN

/// The parts of an input's ``InputScores`` a record shows, by name.
public struct InputScoresView: Sendable {
    /// The prediction.
    public var prediction: Int
    /// Its softmax probability.
    public var probability: Double
    /// DkNN credibility.
    public var credibility: Double
    /// DkNN confidence.
    public var confidence: Double
    /// Every score by name: `credibility`, `msp`, `energy`, `mahalanobis`, `squeeze`, `knn_<layer>`, `roughness_<p>`, `arrival_size`, `arrival_colour`.
    public var named: [String: Double]

    /// Reads the scores of an input judged with an index over `layers`.
    /// - Parameter arrivals: the training images' arrival ranges (adds `arrival`, how far outside them the input arrived).
    public init(_ s: InputScores, layers: [String], arrivals: ArrivalRanges? = nil) {
        prediction = s.prediction
        probability = s.probability
        credibility = s.dknn?.credibility ?? 0
        confidence = s.dknn?.confidence ?? 0
        var n: [String: Double] = ["credibility": credibility, "msp": s.probability, "energy": -s.logSumExp, "squeeze": s.squeeze]
        if let m = s.mahalanobis { n["mahalanobis"] = m }
        for (l, name) in layers.enumerated() where l < s.distances.count { n["knn_\(name)"] = s.distances[l] }
        for (i, e) in Roughness.exponents.enumerated() where i < s.roughness.count { n["roughness_\(e)"] = s.roughness[i] }
        n["noise_floor"] = s.noiseFloor
        n["coherence"] = s.coherence
        n["edge_to_edge"] = s.framing.edgeToEdge
        n["span_shortfall"] = s.framing.spanShortfall
        if let ranges = arrivals, let a = s.arrival {
            n["arrival_size"] = ranges.sizeScore(a)
            n["arrival_colour"] = ranges.colourScore(a)
        }
        named = n
    }
}
