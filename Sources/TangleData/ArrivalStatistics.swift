import Foundation

/// What an image looked like when it arrived, before preprocessing: size, channels, colourfulness,
/// brightness and its border. The data profile summarises these over the training images, so that
/// later stages can tell an input far outside them (a 640x480 colour photograph for a model trained
/// on 28x28 grey images) and decide once how to treat polarity.
public struct ArrivalStatistics: Codable, Sendable, Equatable {
    /// Decoded width.
    public var width: Int
    /// Decoded height.
    public var height: Int
    /// Colour channels as stored (1 grey, 3 colour; alpha not counted).
    public var channels: Int
    /// Hasler and Süsstrunk's colourfulness `M = σ_rgyb + 0.3 μ_rgyb` on `[0, 1]` samples (0 for grey).
    public var colourfulness: Double
    /// Mean BT.601 luma in `[0, 1]`.
    public var brightness: Double
    /// Mean luma of the outermost ring of pixels in `[0, 1]`.
    public var borderMean: Double
    /// Standard deviation of that ring's luma: small for a uniform surround (a product shot on black
    /// or white), large for a photograph's edges.
    public var borderSpread: Double

    /// Statistics as measured (see ``measure(_:)``).
    public init(width: Int, height: Int, channels: Int, colourfulness: Double, brightness: Double, borderMean: Double, borderSpread: Double) {
        self.width = width
        self.height = height
        self.channels = channels
        self.colourfulness = colourfulness
        self.brightness = brightness
        self.borderMean = borderMean
        self.borderSpread = borderSpread
    }

    /// Width over height.
    public var aspectRatio: Double { Double(width) / Double(max(height, 1)) }
}
