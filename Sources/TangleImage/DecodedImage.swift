/// How the samples of a ``DecodedImage`` are laid out per pixel.
public enum PixelLayout: String, Sendable, Equatable, CaseIterable {
    /// One grey sample.
    case gray
    /// Grey, then alpha.
    case grayAlpha = "gray+alpha"
    /// Red, green, blue.
    case rgb
    /// Red, green, blue, then alpha.
    case rgba

    /// Samples per pixel.
    public var channels: Int {
        switch self {
        case .gray: 1
        case .grayAlpha: 2
        case .rgb: 3
        case .rgba: 4
        }
    }

    /// Whether the last sample of each pixel is alpha.
    public var hasAlpha: Bool { self == .grayAlpha || self == .rgba }

    /// Whether the pixels are colour (RGB or RGBA).
    public var isColor: Bool { self == .rgb || self == .rgba }
}

/// A decoded image: 8-bit samples, row-major, no row padding.
///
/// Alpha, when present, is straight (not premultiplied): 0 is fully transparent, 255 opaque, and the
/// colour samples are the colour as stored. Compositing onto a background is the
/// ``Preprocessor``'s job. PNG files of 16 bits per sample are reduced to 8-bit sRGB by libpng;
/// palette images are expanded to RGB or RGBA.
public struct DecodedImage: Sendable, Equatable {
    /// Width in pixels.
    public let width: Int
    /// Height in pixels.
    public let height: Int
    /// Samples per pixel and their meaning.
    public let layout: PixelLayout
    /// The format the bytes were in.
    public let format: ImageFormat
    /// `width * height * layout.channels` samples.
    public let samples: [UInt8]
    /// Problems the decoder worked around (JPEG only: e.g. "Corrupt JPEG data: 3 extraneous
    /// bytes before marker 0xd9", or a missing final EOI marker). Empty for a clean file.
    public let warnings: [String]

    /// Creates an image after checking that `samples` has the right size.
    /// - Throws: ``ImageError/Kind/writeFailed`` when the sample count does not match.
    public init(width: Int, height: Int, layout: PixelLayout, format: ImageFormat, samples: [UInt8], warnings: [String] = []) throws {
        guard width > 0, height > 0, samples.count == width * height * layout.channels else {
            throw ImageError(
                path: "", reason: "\(samples.count) samples do not make a \(width)x\(height) \(layout.rawValue) image", kind: .writeFailed)
        }
        self.width = width
        self.height = height
        self.layout = layout
        self.format = format
        self.samples = samples
        self.warnings = warnings
    }

    /// Samples per pixel.
    public var channels: Int { layout.channels }
    /// Whether the image has an alpha channel.
    public var hasAlpha: Bool { layout.hasAlpha }
    /// The source format's name: `"png"` or `"jpeg"`.
    public var formatName: String { format.rawValue }
}
