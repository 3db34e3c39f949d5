/// A model input made by a ``Preprocessor``, with a record of what was done to the image.
public struct PreprocessedImage: Sendable, Equatable {
    /// `rows * columns * channels` values in `[0, 1]`, row-major, channels interleaved.
    public let pixels: [Float]
    /// Output height.
    public let rows: Int
    /// Output width.
    public let columns: Int
    /// Output channels (1 grey, 3 RGB).
    public let channels: Int
    /// The decoded image's width.
    public let sourceWidth: Int
    /// The decoded image's height.
    public let sourceHeight: Int
    /// Width of the part of the source that was resized (its centre, when cropped).
    public let cropWidth: Int
    /// Height of that part.
    public let cropHeight: Int
    /// Width of the resized image inside the output (the rest is padding).
    public let contentWidth: Int
    /// Height of the resized image inside the output (the rest is padding).
    public let contentHeight: Int
    /// Whether alpha was composited onto the background.
    public let alphaComposited: Bool
    /// Whether the source was colour and reduced to BT.601 luma.
    public let convertedToLuma: Bool
    /// Mean grey value of the source's outermost ring of pixels, before any inversion.
    public let borderMean: Float
    /// Whether grey values were inverted.
    public let inverted: Bool

    /// Whether the image was cropped to its centre.
    public var cropped: Bool { cropWidth != sourceWidth || cropHeight != sourceHeight }
    /// Whether the image was resized (its size differed from the content size).
    public var resized: Bool { cropWidth != contentWidth || cropHeight != contentHeight }
    /// Whether padding was added to keep the aspect ratio.
    public var padded: Bool { contentWidth != columns || contentHeight != rows }

    /// The pixels as bytes, `round(v * 255)`; for a grey source of the output size this gives
    /// back the original bytes.
    public var bytes: [UInt8] { pixels.map { UInt8(($0 * 255).rounded()) } }

    /// Short phrases for a verdict record, e.g. `["luma", "resized from 640x480 to 28x21",
    /// "padded to 28x28", "inverted"]`; empty when the image passed through unchanged.
    public var transformations: [String] {
        var out: [String] = []
        if convertedToLuma { out.append("luma") }
        if alphaComposited { out.append("alpha composited") }
        if cropped { out.append("cropped to the centre \(cropWidth)x\(cropHeight) of \(sourceWidth)x\(sourceHeight)") }
        if resized { out.append("resized from \(cropWidth)x\(cropHeight) to \(contentWidth)x\(contentHeight)") }
        if padded { out.append("padded to \(columns)x\(rows)") }
        if inverted { out.append("inverted") }
        return out
    }
}
