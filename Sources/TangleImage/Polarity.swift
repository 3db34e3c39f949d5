/// Whether the ``Preprocessor`` inverts grey values (`v -> 1 - v`).
///
/// Fashion-MNIST objects are light on a black background; product photos are usually dark on
/// white. ``auto`` inverts when the image's border is light.
public enum Polarity: String, Sendable, Equatable, CaseIterable {
    /// Invert when the mean of the outermost ring of pixels is above
    /// ``Preprocessor/borderThreshold`` (0.5 by default).
    case auto
    /// Never invert.
    case never
    /// Always invert.
    case always
}
