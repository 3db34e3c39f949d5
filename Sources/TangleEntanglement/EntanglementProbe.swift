import Foundation
import TangleNetwork
import TangleTensor

/// Measures the SNNL of every hidden representation on one fixed labelled batch: the
/// entanglement curves recorded during training and the `tangle entanglement` table.
///
/// For each layer it reports the SNNL at a fixed temperature, the minimum over a logarithmic grid
/// of temperatures relative to the layer's median pairwise distance (the stricter measure: a
/// representation cannot look entangled there just by shrinking), the temperature of that
/// minimum, and the median pairwise distance itself.
public final class EntanglementProbe {
    /// One layer's measurement.
    public struct Layer: Codable, Sendable, Equatable {
        /// The representation's name (`input` for the pixels).
        public var layer: String
        /// SNNL at ``EntanglementProbe/fixedTemperature``.
        public var snnlFixed: Double
        /// The minimum SNNL over the temperature grid.
        public var snnlMin: Double
        /// The temperature of that minimum.
        public var argminTemperature: Double
        /// The median pairwise distance.
        public var medianDistance: Double
        /// SNNL at the training objective's current temperature for this layer, when it has one.
        public var snnlTraining: Double?
    }

    /// The distance used.
    public let distance: SoftNearestNeighborLoss.Distance
    /// The fixed temperature reported beside the minimum.
    public let fixedTemperature: Double
    /// Grid multipliers of the median distance for the minimum over temperatures (1e-3 … 1e3).
    public static let grid: [Double] = (0...24).map { pow(10, -3 + Double($0) * 0.25) }

    /// Creates a probe.
    public init(distance: SoftNearestNeighborLoss.Distance = .euclidean, fixedTemperature: Double = 100) {
        self.distance = distance
        self.fixedTemperature = fixedTemperature
    }

    /// Measures the representations `layers` (and the input when `includeInput`) of `count` images
    /// already forwarded through `network` in `workspace`.
    ///
    /// - Parameter trainingTemperatures: the objective's current temperature per layer name.
    public func measure(
        network: Network, workspace: Workspace, count: Int, labels: [Int32], layers: [String], includeInput: Bool = false,
        trainingTemperatures: [String: Double] = [:]
    ) throws -> [Layer] {
        var targets: [(String, Int, Int)] = []
        if includeInput { targets.append((Network.inputRepresentation, 0, network.inputShape.size)) }
        for name in layers {
            targets.append((name, try network.representationIndex(name), try network.representationSize(name)))
        }
        let maxD = targets.map(\.2).max() ?? 1
        let snnl = SoftNearestNeighborLoss(distance: distance, capacity: count, maxDimension: maxD)
        return labels.withUnsafeBufferPointer { lp in
            targets.map { name, index, d in
                let x = workspace.activation(index).pointer
                snnl.prepare(x, count: count, dimension: d)
                let median = snnl.medianDistance(count: count)
                let fixed = snnl.value(count: count, labels: lp.baseAddress!, temperature: fixedTemperature).loss
                var best = Double.infinity, bestT = 0.0
                for m in Self.grid {
                    let t = max(m * median, 1e-12)
                    let v = snnl.value(count: count, labels: lp.baseAddress!, temperature: t).loss
                    if v < best {
                        best = v
                        bestT = t
                    }
                }
                let training = trainingTemperatures[name].map {
                    snnl.value(count: count, labels: lp.baseAddress!, temperature: $0).loss
                }
                return Layer(
                    layer: name, snnlFixed: fixed, snnlMin: best, argminTemperature: bestT, medianDistance: median,
                    snnlTraining: training)
            }
        }
    }
}
