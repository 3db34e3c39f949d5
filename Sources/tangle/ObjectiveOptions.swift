import ArgumentParser
import TangleEntanglement
import TangleNetwork

/// The entangled objective's command-line options, shared by `train` and `bench train`.
struct ObjectiveOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "SNNL weight in loss = CE + factor * mean SNNL over --snnl-layers (negative maximises entanglement; 0 trains cross-entropy only). Default: -1 for train, 0 for bench.")
    var snnlFactor: Double?

    @Option(help: "Hidden layers to entangle, comma-separated (any of pool1,pool2,fc1,fc2). Default: pool1,pool2 for train; all four for bench (the peer's workload).")
    var snnlLayers: String?

    @Option(help: "SNNL distance: euclidean (squared) or cosine.")
    var snnlDistance: SoftNearestNeighborLoss.Distance = .euclidean

    @Option(help: "Temperature mode: fixed (T = T0), learned (T = T0/t, t takes a descent step on the loss before each step) or scaled (T = T0 * the layer's median pairwise distance in the batch).")
    var snnlTemperatureMode: TemperatureMode = .learned

    @Option(help: "T0: the initial or fixed temperature (a multiplier of the median distance in scaled mode).")
    var snnlTemperature: Double = 100

    @Option(help: "Step size of the learned temperature.")
    var snnlTemperatureLr: Double = 0.1

    @Option(help: "Control experiment: weight of a plain activation-scale penalty (mean squared activation) on --snnl-layers; 0 turns it off.")
    var scalePenalty: Double = 0

    /// A command's defaults for the factor and the layers.
    struct Defaults {
        var factor: Double
        var layers: String

        /// `tangle train`: the shipped entangled setting (see docs/ENTANGLEMENT.md).
        static let train = Defaults(factor: -1, layers: "pool1,pool2")
        /// `tangle bench train`: cross-entropy only unless a factor is given; then all four hidden layers.
        static let bench = Defaults(factor: 0, layers: "pool1,pool2,fc1,fc2")
    }

    func layers(_ defaults: Defaults) -> [String] {
        (snnlLayers ?? defaults.layers).split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
    }

    /// The auxiliary terms these options ask for.
    func terms(network: Network, batchSize: Int, defaults: Defaults) throws -> [any AuxiliaryLoss] {
        var terms: [any AuxiliaryLoss] = []
        let snnlFactor = self.snnlFactor ?? defaults.factor
        let layers = self.layers(defaults)
        if snnlFactor != 0 {
            terms.append(
                try EntanglementLoss(
                    network: network,
                    settings: EntanglementSettings(
                        factor: snnlFactor, layers: layers, distance: snnlDistance, temperatureMode: snnlTemperatureMode,
                        temperature: snnlTemperature, temperatureLearningRate: snnlTemperatureLr),
                    capacity: batchSize))
        }
        if scalePenalty != 0 {
            terms.append(try ActivationScalePenalty(network: network, factor: scalePenalty, layers: layers))
        }
        return terms
    }
}

extension SoftNearestNeighborLoss.Distance: ExpressibleByArgument {}
extension TemperatureMode: ExpressibleByArgument {}

import Foundation
