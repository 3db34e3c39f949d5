import Foundation
import TangleDkNN

/// One piece of evidence the verdict rule weighs, read from an input's ``InputScores`` and
/// oriented so that larger means more abnormal.
public struct Evidence: Codable, Sendable, Hashable, CustomStringConvertible {
    /// What is measured.
    public enum Kind: String, Codable, Sendable {
        /// How many of the `k` neighbours in a layer carry the predicted class (fewer = more
        /// abnormal; compared with inputs of the calibration split predicted as the same class).
        case predictedClassNeighbours = "neighbours"
        /// The distance to the k-th nearest neighbour in a layer (L2-normalised features).
        case distance = "knn"
        /// The Mahalanobis distance on the Gaussian layer.
        case mahalanobis
        /// Feature squeezing: the softmax's L1 change under squeezed copies.
        case squeeze
        /// Dark-region roughness of the input (``Roughness``).
        case roughness
        /// How far the input's size, as it arrived, lies outside the training images' sizes
        /// (``ArrivalRanges/sizeScore(_:)``).
        case arrivalSize = "arrival_size"
        /// How far its colourfulness lies above the training images' (``ArrivalRanges/colourScore(_:)``).
        case arrivalColour = "arrival_colour"
        /// The energy, `−logsumexp(logits)` (Liu et al. 2020): high when no class's logit stands out.
        case energy
        /// The input's noise floor (``NoiseFloor``): how rough its smoothest quarter is.
        case noiseFloor = "noise_floor"
        /// How little image the input keeps at a coarse scale, `1 − ` ``Coherence``: high for pure noise.
        case incoherence
        /// The fraction of rows or columns the input's content crosses edge to edge
        /// (``Framing/edgeToEdge``): high for a photograph letterboxed onto black.
        case edgeToEdge = "edge_to_edge"
        /// How much of the frame its content leaves empty along its longer side
        /// (``Framing/spanShortfall``): high for a small object on black.
        case spanShortfall = "span_shortfall"
    }

    /// What is measured.
    public var kind: Kind
    /// The layer, for the per-layer kinds.
    public var layer: String?
    /// The roughness exponent.
    public var exponent: Int?

    /// Creates a piece of evidence.
    public init(_ kind: Kind, layer: String? = nil, exponent: Int? = nil) {
        self.kind = kind
        self.layer = layer
        self.exponent = exponent
    }

    /// The name used in records and reports: `neighbours_pool1`, `knn_pool2`, `mahalanobis`,
    /// `squeeze`, `roughness_8`, `energy`, `arrival_size`, `arrival_colour`, `noise_floor`, `incoherence`,
    /// `edge_to_edge`, `span_shortfall`.
    public var description: String {
        switch kind {
        case .predictedClassNeighbours, .distance: "\(kind.rawValue)_\(layer ?? "?")"
        case .roughness: "roughness_\(exponent ?? 0)"
        case .mahalanobis, .squeeze, .arrivalSize, .arrivalColour, .energy, .noiseFloor, .incoherence, .edgeToEdge, .spanShortfall: kind.rawValue
        }
    }

    /// Whether it is compared per predicted class.
    public var perClass: Bool { kind == .predictedClassNeighbours }

    /// The value for `s` (larger = more abnormal), or nil when the detector did not compute it.
    /// - Parameters:
    ///   - layers: the detector's neighbour-index layers, in order.
    ///   - arrivals: the training images' arrival ranges (for ``Kind/arrival``).
    public func value(_ s: InputScores, layers: [String], arrivals: ArrivalRanges? = nil) -> Double? {
        switch kind {
        case .predictedClassNeighbours:
            guard let l = layers.firstIndex(of: layer ?? ""), l < s.labelCounts.count else { return nil }
            return -Double(s.labelCounts[l][s.prediction])
        case .distance:
            guard let l = layers.firstIndex(of: layer ?? ""), l < s.distances.count else { return nil }
            return s.distances[l]
        case .mahalanobis:
            return s.mahalanobis
        case .squeeze:
            return s.squeeze
        case .roughness:
            guard let e = exponent, let i = Roughness.exponents.firstIndex(of: e), i < s.roughness.count else { return nil }
            return s.roughness[i]
        case .arrivalSize:
            guard let ranges = arrivals, let a = s.arrival else { return nil }
            return ranges.sizeScore(a)
        case .arrivalColour:
            guard let ranges = arrivals, let a = s.arrival else { return nil }
            return ranges.colourScore(a)
        case .energy:
            return -s.logSumExp
        case .noiseFloor:
            return s.noiseFloor
        case .incoherence:
            return 1 - s.coherence
        case .edgeToEdge:
            return s.framing.edgeToEdge
        case .spanShortfall:
            return s.framing.spanShortfall
        }
    }
}
