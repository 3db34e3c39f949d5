import TangleNetwork
import TangleTensor

/// Settings of the SNNL term of the entangled objective.
public struct EntanglementSettings: Sendable, Equatable {
    /// The weight in `loss = CE + factor · mean over layers of SNNL` (the paper's sign: negative
    /// maximises entanglement).
    public var factor: Double
    /// The hidden representations entangled (any of `pool1`, `pool2`, `fc1`, `fc2`; never the logits).
    public var layers: [String]
    /// The pairwise distance.
    public var distance: SoftNearestNeighborLoss.Distance
    /// How the temperature is chosen.
    public var temperatureMode: TemperatureMode
    /// `T0` (fixed and learned), or the multiplier of the median distance (scaled).
    public var temperature: Double
    /// The step size of the learned temperature.
    public var temperatureLearningRate: Double

    /// Creates settings.
    public init(
        factor: Double, layers: [String], distance: SoftNearestNeighborLoss.Distance = .euclidean,
        temperatureMode: TemperatureMode = .fixed, temperature: Double = 100, temperatureLearningRate: Double = 0.1
    ) {
        self.factor = factor
        self.layers = layers
        self.distance = distance
        self.temperatureMode = temperatureMode
        self.temperature = temperature
        self.temperatureLearningRate = temperatureLearningRate
    }
}

/// Why an objective cannot be built.
public enum EntanglementError: Error, Sendable, CustomStringConvertible, Equatable {
    /// A setting is out of range.
    case invalid(String)

    public var description: String {
        switch self {
        case .invalid(let why): why
        }
    }
}

/// The SNNL term of the entangled objective: `factor · mean over layers of SNNL(layer)`, with a
/// fixed, learned or scale-tied temperature per layer.
public final class EntanglementLoss: AuxiliaryLoss {
    /// The settings.
    public let settings: EntanglementSettings
    private let indices: [Int]
    private let dimensions: [Int]
    private let snnl: SoftNearestNeighborLoss
    private var learned: [LearnedTemperature]
    /// Each layer's temperature at the last step.
    public private(set) var temperatures: [Double]
    /// Each layer's SNNL at the last step (unweighted).
    public private(set) var lastLosses: [Double]

    public var name: String { "snnl" }
    public var representationIndices: [Int] { indices }

    /// Builds the term for `network` and batches of up to `capacity`.
    /// - Throws: ``EntanglementError`` for unknown or output layers and bad temperatures.
    public init(network: Network, settings: EntanglementSettings, capacity: Int) throws {
        guard !settings.layers.isEmpty else { throw EntanglementError.invalid("--snnl-layers names no layer") }
        guard settings.factor.isFinite else { throw EntanglementError.invalid("--snnl-factor must be finite") }
        guard settings.temperature.isFinite, settings.temperature > 0 else {
            throw EntanglementError.invalid("--snnl-temperature must be a positive number")
        }
        let last = network.representationNames.last
        var indices: [Int] = [], dims: [Int] = []
        for name in settings.layers {
            guard name != last else {
                throw EntanglementError.invalid("'\(name)' is the output layer; entangle hidden layers only (e.g. pool1,pool2,fc1,fc2)")
            }
            do {
                indices.append(try network.representationIndex(name))
                dims.append(try network.representationSize(name))
            } catch { throw EntanglementError.invalid("\(error)") }
        }
        self.settings = settings
        self.indices = indices
        dimensions = dims
        snnl = SoftNearestNeighborLoss(distance: settings.distance, capacity: capacity, maxDimension: dims.max()!)
        learned = settings.layers.map { _ in
            LearnedTemperature(initial: settings.temperature, learningRate: settings.temperatureLearningRate)
        }
        temperatures = settings.layers.map { _ in settings.temperature }
        lastLosses = settings.layers.map { _ in 0 }
    }

    public var record: ObjectiveTerm {
        ObjectiveTerm(
            kind: "snnl", factor: settings.factor, layers: settings.layers, distance: settings.distance.rawValue,
            temperatureMode: settings.temperatureMode.rawValue, initialTemperature: settings.temperature,
            temperatureLearningRate: settings.temperatureMode == .learned ? settings.temperatureLearningRate : nil,
            finalTemperatures: temperatures)
    }

    /// Each layer's learned `t`, then each layer's temperature at the last step.
    public var state: [Double] { learned.map(\.t) + temperatures }

    public func restore(state: [Double]) -> Bool {
        let n = learned.count
        guard state.count == 2 * n else { return false }
        var restored: [LearnedTemperature] = []
        for (l, t) in state[..<n].enumerated() {
            guard let r = LearnedTemperature(initial: learned[l].initial, learningRate: learned[l].learningRate, t: t) else { return false }
            restored.append(r)
        }
        guard state[n...].allSatisfy({ $0.isFinite && $0 > 0 }) else { return false }
        learned = restored
        temperatures = Array(state[n...])
        return true
    }

    public func apply(network: Network, workspace: Workspace, labels: UnsafePointer<Int32>, count: Int) -> Double {
        let weight = settings.factor / Double(indices.count)
        var total = 0.0
        for (l, index) in indices.enumerated() {
            let x = workspace.activation(index).pointer
            let d = dimensions[l]
            snnl.prepare(x, count: count, dimension: d)
            let t: Double
            switch settings.temperatureMode {
            case .fixed:
                t = settings.temperature
            case .learned:
                let g = snnl.value(count: count, labels: labels, temperature: learned[l].temperature).dTemperature
                learned[l].step(dLossdTemperature: g)
                t = learned[l].temperature
            case .scaled:
                t = max(settings.temperature * snnl.medianDistance(count: count), 1e-12)
            }
            temperatures[l] = t
            let v = snnl.value(count: count, labels: labels, temperature: t)
            lastLosses[l] = v.loss
            total += v.loss
            if let g = workspace.gradients[index] {
                snnl.addGradient(x, count: count, dimension: d, into: g.pointer, scale: Float(weight))
            }
        }
        return weight * total
    }
}

/// The control for the entangled objective: `factor · mean over layers of mean_i ‖x_i‖² / D`, a
/// plain penalty on the activations' scale, with no SNNL at all.
public final class ActivationScalePenalty: AuxiliaryLoss {
    /// The weight.
    public let factor: Double
    /// The layers penalised.
    public let layers: [String]
    private let indices: [Int]
    private let dimensions: [Int]

    public var name: String { "scale" }
    public var representationIndices: [Int] { indices }

    /// Builds the penalty.
    public init(network: Network, factor: Double, layers: [String]) throws {
        guard !layers.isEmpty else { throw EntanglementError.invalid("the scale penalty names no layer") }
        self.factor = factor
        self.layers = layers
        do {
            indices = try layers.map { try network.representationIndex($0) }
            dimensions = try layers.map { try network.representationSize($0) }
        } catch { throw EntanglementError.invalid("\(error)") }
    }

    public var record: ObjectiveTerm { ObjectiveTerm(kind: "activation_scale", factor: factor, layers: layers) }

    public func apply(network: Network, workspace: Workspace, labels: UnsafePointer<Int32>, count: Int) -> Double {
        var total = 0.0
        let weight = factor / Double(indices.count)
        for (l, index) in indices.enumerated() {
            let x = workspace.activation(index).pointer
            let d = dimensions[l]
            var s = 0.0
            for i in 0..<(count * d) { s += Double(x[i] * x[i]) }
            total += s / Double(count * d)
            if let g = workspace.gradients[index] {
                let c = Float(2 * weight / Double(count * d))
                for i in 0..<(count * d) { g[i] += c * x[i] }
            }
        }
        return weight * total
    }
}
