import TangleNetwork

/// What each representation the detector searches is, read from the architecture by the kind of
/// layer that makes it, so that default evidence names layers by role, never by position: the
/// pooling layers (convolutional features) and the hidden fully connected layers (the logits are
/// neither).
public struct LayerRoles: Sendable, Equatable {
    /// Pooling layers among the searched ones, in network order (`pool1`, `pool2`).
    public var pooling: [String]
    /// Hidden fully connected layers among the searched ones, in network order (`fc1`, `fc2`).
    public var dense: [String]

    /// Roles given directly.
    public init(pooling: [String], dense: [String]) {
        self.pooling = pooling
        self.dense = dense
    }

    /// The roles of `layers` (the index's) in `architecture`.
    public init(architecture: Architecture, among layers: [String]) {
        let searched = Set(layers)
        let specs = architecture.layers.filter { searched.contains($0.name) }
        let last = architecture.layers.last?.name
        pooling = specs.filter { $0.kind == .maxpool }.map(\.name)
        dense = specs.filter { $0.kind == .dense && $0.name != last }.map(\.name)
    }
}
