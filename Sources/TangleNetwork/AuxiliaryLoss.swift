/// A loss on hidden representations, added to the cross-entropy during training.
///
/// After the forward pass, `apply` reads the representations it needs from the workspace,
/// **adds** its gradient into the matching `workspace.gradients` entries (the backward pass then
/// carries it down), and returns its weighted value, which the trainer adds to the total loss.
public protocol AuxiliaryLoss: AnyObject {
    /// A short name for logs (`"snnl"`, `"scale"`).
    var name: String { get }
    /// What the model card records about this term.
    var record: ObjectiveTerm { get }
    /// The representation indices (``Network/representationIndex(_:)``) whose gradients it adds to.
    var representationIndices: [Int] { get }
    /// Adds the gradient for the first `count` images and returns the weighted loss.
    func apply(network: Network, workspace: Workspace, labels: UnsafePointer<Int32>, count: Int) -> Double
    /// What the term carries from step to step (a learned temperature), saved with a resumable run.
    var state: [Double] { get }
    /// Continues from a saved ``state``; `false` (and nothing changed) when it does not fit.
    func restore(state: [Double]) -> Bool
}

extension AuxiliaryLoss {
    /// A stateless term saves nothing.
    public var state: [Double] { [] }
    /// A stateless term accepts only an empty state.
    public func restore(state: [Double]) -> Bool { state.isEmpty }
}

/// One term of a training objective beyond cross-entropy, as the model card records it.
public struct ObjectiveTerm: Codable, Sendable, Equatable {
    /// `"snnl"` or `"activation_scale"`.
    public var kind: String
    /// The weight in `loss = CE + factor * term` (negative maximises the term).
    public var factor: Double
    /// The representations the term reads.
    public var layers: [String]
    /// SNNL: `"euclidean"` or `"cosine"`.
    public var distance: String?
    /// SNNL: `"fixed"`, `"learned"` or `"scaled"`.
    public var temperatureMode: String?
    /// SNNL: the initial temperature `T0` (or the scale multiplier in `"scaled"` mode).
    public var initialTemperature: Double?
    /// SNNL: the learning rate of the temperature step.
    public var temperatureLearningRate: Double?
    /// SNNL: each layer's temperature at the end of training, in `layers` order.
    public var finalTemperatures: [Double]?

    /// Creates a record.
    public init(
        kind: String, factor: Double, layers: [String], distance: String? = nil, temperatureMode: String? = nil,
        initialTemperature: Double? = nil, temperatureLearningRate: Double? = nil, finalTemperatures: [Double]? = nil
    ) {
        self.kind = kind
        self.factor = factor
        self.layers = layers
        self.distance = distance
        self.temperatureMode = temperatureMode
        self.initialTemperature = initialTemperature
        self.temperatureLearningRate = temperatureLearningRate
        self.finalTemperatures = finalTemperatures
    }
}
