/// How an SNNL term's temperature is chosen.
public enum TemperatureMode: String, Codable, Sendable, CaseIterable {
    /// `T = T0` throughout.
    case fixed
    /// `T = T0 / t`; before each evaluation `t ← t − lr · ∂loss/∂t` (descent on the loss, so the
    /// temperature moves to where entanglement is measured lowest: the paper's approximation of
    /// the minimum over temperatures, as its reference code does it).
    case learned
    /// `T = T0 · median pairwise distance` of the layer in the current batch: tied to the
    /// layer's own scale, so shrinking the representation cannot pin the loss at its ceiling.
    case scaled
}

/// The learned temperature of one layer: `T = T0 / t`.
///
/// `t` stays finite and within ``LearnedTemperature/range`` (a step that would leave it is
/// clipped; a non-finite gradient is skipped), so `T` stays within `[T0 / 1e4, T0 · 1e4]`.
public struct LearnedTemperature: Sendable, Equatable {
    /// The allowed range of `t`.
    public static let range: ClosedRange<Double> = 1e-4...1e4
    /// The initial temperature.
    public let initial: Double
    /// The step size on `t`.
    public let learningRate: Double
    /// The current `t` (starts at 1).
    public private(set) var t: Double = 1

    /// Creates a temperature at `T0`.
    public init(initial: Double, learningRate: Double) {
        self.initial = initial
        self.learningRate = learningRate
    }

    /// Continues a temperature at a saved `t` (`tangle train --resume`); `nil` when `t` is outside ``range``.
    public init?(initial: Double, learningRate: Double, t: Double) {
        guard Self.range.contains(t) else { return nil }
        self.init(initial: initial, learningRate: learningRate)
        self.t = t
    }

    /// The current temperature `T0 / t`.
    public var temperature: Double { initial / t }

    /// One descent step on `t` from `∂loss/∂T` at the current temperature.
    public mutating func step(dLossdTemperature g: Double) {
        let dLossdt = g * (-initial / (t * t))
        guard dLossdt.isFinite else { return }
        let next = t - learningRate * dLossdt
        guard next.isFinite else { return }
        t = min(max(next, Self.range.lowerBound), Self.range.upperBound)
    }
}
