/// Turns a ``DecodedImage`` into the model's input: `rows x columns x channels` values in
/// `[0, 1]`, channels interleaved.
///
/// Steps, in order:
/// 1. **Channels**: for a grey model (``channels`` 1) colour becomes BT.601 luma, `0.299 R +
///    0.587 G + 0.114 B`, on the stored (gamma-encoded) values, as PIL's `convert("L")` and
///    libjpeg's grey output do; for a colour model (``channels`` 3) colour is kept and a grey
///    image is replicated into the three channels.
/// 2. **Alpha**: composited onto ``background`` (black by default):
///    `v * a + background * (1 - a)`.
/// 3. **Polarity**: the mean of the outermost ring of source pixels decides, under
///    ``Polarity/auto``, whether to invert (`v -> 1 - v`) so that objects are light on a dark
///    background as in Fashion-MNIST.
/// 4. **Crop** (``Resize/crop``): the centre of the image at the output's aspect ratio, so no
///    padding is invented around it (black bars around a landscape photograph make a textured
///    rectangle on black, which is what a Fashion-MNIST bag looks like).
/// 5. **Resize**: area averaging (each output pixel is the mean of the source area it covers)
///    to fit inside `rows x columns` with the aspect ratio kept.
/// 6. **Pad** (``Resize/letterbox`` only): centred, the rest filled with ``background`` (a value of
///    the output, after any inversion, so black padding matches Fashion-MNIST's surround).
///
/// A grey image already of the output size with a dark border passes through unchanged:
/// every output value is `byte / 255`.
///
/// ```swift
/// let prep = Preprocessor(rows: 28, columns: 28)
/// let input = prep.process(try ImageDecoder().decode(contentsOf: path))
/// print(input.transformations)  // ["luma", "resized from 640x480 to 28x21", "padded to 28x28", "inverted"]
/// ```
public struct Preprocessor: Sendable, Equatable {
    /// Output height (the model's input rows).
    public var rows: Int
    /// Output width (the model's input columns).
    public var columns: Int
    /// Output channels: 1 (grey) or 3 (RGB).
    public var channels: Int
    /// Grey value in `[0, 1]` that alpha is composited onto and padding is filled with; 0 (black).
    public var background: Float
    /// When to invert.
    public var polarity: Polarity
    /// Under ``Polarity/auto``, invert when the border mean is above this; 0.5.
    public var borderThreshold: Float
    /// The side the training images' borders are on: dark (true, as Fashion-MNIST's, so
    /// ``Polarity/auto`` inverts a light-bordered input) or light (so it inverts a dark-bordered one).
    public var darkBorders: Bool = true
    /// How an input of another aspect ratio reaches the output's.
    public var resize: Resize = .letterbox

    /// How an input of another aspect ratio reaches the output's (the data profile's `resize`).
    public enum Resize: String, Sendable, Equatable, CaseIterable {
        /// Fit inside, aspect ratio kept, padded with ``Preprocessor/background``.
        case letterbox
        /// The centre at the output's aspect ratio, resized to fill: nothing is padded.
        case crop
    }

    /// A ring of border pixels whose luma spread is at most this is uniform (a plain surround, which
    /// the object may touch here and there): the data survey's bound for the training images' borders.
    public static let uniformBorderSpread: Double = 0.3

    /// Creates a preprocessor for a model input of `rows x columns`.
    /// - Parameters:
    ///   - rows: output height, e.g. 28.
    ///   - columns: output width, e.g. 28.
    ///   - background: grey value for alpha compositing and padding (default 0, black).
    ///   - polarity: inversion policy (default ``Polarity/auto``).
    ///   - borderThreshold: border mean above which ``Polarity/auto`` inverts (default 0.5).
    public init(rows: Int, columns: Int, channels: Int = 1, background: Float = 0, polarity: Polarity = .auto, borderThreshold: Float = 0.5) {
        precondition(rows > 0 && columns > 0, "the model input must have a positive size")
        precondition(channels == 1 || channels == 3, "the model input must have 1 or 3 channels")
        self.rows = rows
        self.columns = columns
        self.channels = channels
        self.background = min(max(background, 0), 1)
        self.polarity = polarity
        self.borderThreshold = borderThreshold
    }

    /// The model input for `image`, and what was done to it.
    public func process(_ image: DecodedImage) -> PreprocessedImage {
        let (w, h) = (image.width, image.height)
        let c = channels
        let window = sourceWindow(image)
        let (cw, ch) = contentSize(width: window.width, height: window.height)
        let hTaps = Self.taps(source: window.width, destination: cw)
        let vTaps = Self.taps(source: window.height, destination: ch)

        var content = [Float](repeating: 0, count: cw * ch * c)
        var lines = [[Float]](repeating: [Float](repeating: 0, count: w), count: c)
        var luma = [Float](repeating: 0, count: w)
        var resizedLine = [Float](repeating: 0, count: cw * c)
        var ringSum: Double = 0
        var ringCount = 0
        var v = 0
        for y in 0..<h {
            grey(image, row: y, into: &luma)
            if c == 3 {
                colour(image, row: y, into: &lines)
            } else {
                lines[0] = luma
            }
            if y == 0 || y == h - 1 {
                for x in 0..<w { ringSum += Double(luma[x]) }
                ringCount += w
            } else {
                ringSum += Double(luma[0])
                ringCount += 1
                if w > 1 {
                    ringSum += Double(luma[w - 1])
                    ringCount += 1
                }
            }
            guard y >= window.y, y < window.y + window.height else { continue }
            for i in 0..<(cw * c) { resizedLine[i] = 0 }
            for t in hTaps {
                for k in 0..<c { resizedLine[t.destination * c + k] += t.weight * lines[k][t.source + window.x] }
            }
            while v < vTaps.count && vTaps[v].source == y - window.y {
                let base = vTaps[v].destination * cw * c
                let weight = vTaps[v].weight
                for x in 0..<(cw * c) { content[base + x] += weight * resizedLine[x] }
                v += 1
            }
        }
        let borderMean = Float(ringSum / Double(max(ringCount, 1)))
        let invert =
            switch polarity {
            case .auto: (borderMean > borderThreshold) == darkBorders
            case .never: false
            case .always: true
            }

        var pixels = [Float](repeating: background, count: rows * columns * c)
        let (top, left) = ((rows - ch) / 2, (columns - cw) / 2)
        for y in 0..<ch {
            for x in 0..<(cw * c) {
                let value = min(max(content[y * cw * c + x], 0), 1)
                pixels[((top + y) * columns + left) * c + x] = invert ? 1 - value : value
            }
        }
        return PreprocessedImage(
            pixels: pixels, rows: rows, columns: columns, channels: c, sourceWidth: w, sourceHeight: h, cropWidth: window.width,
            cropHeight: window.height, contentWidth: cw, contentHeight: ch,
            alphaComposited: image.hasAlpha, convertedToLuma: image.layout.isColor && c == 1, borderMean: borderMean, inverted: invert)
    }

    /// The part of `image` that is resized: all of it, or under ``Resize/crop`` its centre at the
    /// output's aspect ratio.
    public func sourceWindow(_ image: DecodedImage) -> (x: Int, y: Int, width: Int, height: Int) {
        let (w, h) = (image.width, image.height)
        guard resize == .crop, w * rows != h * columns else { return (x: 0, y: 0, width: w, height: h) }
        if w * rows > h * columns {  // wider than the output: keep the full height
            let cw = max(1, min(w, Int((Double(h) * Double(columns) / Double(rows)).rounded())))
            return (x: (w - cw) / 2, y: 0, width: cw, height: h)
        }
        let ch = max(1, min(h, Int((Double(w) * Double(rows) / Double(columns)).rounded())))
        return (x: 0, y: (h - ch) / 2, width: w, height: ch)
    }

    /// The size of a `width x height` image scaled to fit inside the output, aspect ratio kept.
    public func contentSize(width: Int, height: Int) -> (width: Int, height: Int) {
        if width == columns && height == rows { return (width, height) }
        let scale = min(Double(columns) / Double(width), Double(rows) / Double(height))
        let cw = min(columns, max(1, Int((Double(width) * scale).rounded())))
        let ch = min(rows, max(1, Int((Double(height) * scale).rounded())))
        return (cw, ch)
    }

    /// Row `y` of `image` as grey values in `[0, 1]`, alpha composited onto the background.
    private func grey(_ image: DecodedImage, row y: Int, into line: inout [Float]) {
        line.withUnsafeMutableBufferPointer { read(image, row: y, channel: nil, into: $0) }
    }

    /// One row as three channels in `[0, 1]`: a grey image replicated, alpha composited onto the background.
    private func colour(_ image: DecodedImage, row y: Int, into lines: inout [[Float]]) {
        for k in 0..<3 { lines[k].withUnsafeMutableBufferPointer { read(image, row: y, channel: k, into: $0) } }
    }

    /// Row `y` of `image` in `[0, 1]`, alpha composited onto the background: colour channel
    /// `channel` of an RGB(A) image, or its BT.601 luma when `channel` is nil; a grey image's value
    /// whatever the channel.
    private func read(_ image: DecodedImage, row y: Int, channel: Int?, into line: UnsafeMutableBufferPointer<Float>) {
        let w = image.width
        let bg = background
        image.samples.withUnsafeBufferPointer { s in
            let base = y * w * image.channels
            switch image.layout {
            case .gray:
                for x in 0..<w { line[x] = Float(s[base + x]) / 255 }
            case .grayAlpha:
                for x in 0..<w {
                    let a = Float(s[base + 2 * x + 1]) / 255
                    line[x] = Float(s[base + 2 * x]) / 255 * a + bg * (1 - a)
                }
            case .rgb:
                if let k = channel {
                    for x in 0..<w { line[x] = Float(s[base + 3 * x + k]) / 255 }
                } else {
                    for x in 0..<w {
                        let p = base + 3 * x
                        line[x] = Self.luma(s[p], s[p + 1], s[p + 2])
                    }
                }
            case .rgba:
                for x in 0..<w {
                    let p = base + 4 * x
                    let a = Float(s[p + 3]) / 255
                    let v = channel.map { Float(s[p + $0]) / 255 } ?? Self.luma(s[p], s[p + 1], s[p + 2])
                    line[x] = v * a + bg * (1 - a)
                }
            }
        }
    }

    /// BT.601 luma of 8-bit RGB, in `[0, 1]`.
    @inline(__always)
    static func luma(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> Float {
        (0.299 * Float(r) + 0.587 * Float(g) + 0.114 * Float(b)) / 255
    }

    /// Area-averaging weights from `source` samples to `destination` samples, ordered by source.
    ///
    /// Output sample `d` covers the source interval `[d * r, (d + 1) * r)` with `r = source /
    /// destination`; source sample `s` contributes its overlap with that interval divided by `r`.
    /// When the sizes are equal every weight is exactly 1.
    static func taps(source: Int, destination: Int) -> [(source: Int, destination: Int, weight: Float)] {
        if source == destination { return (0..<source).map { ($0, $0, 1) } }
        let ratio = Double(source) / Double(destination)
        var out: [(source: Int, destination: Int, weight: Float)] = []
        out.reserveCapacity(source + destination)
        for s in 0..<source {
            let lo = Double(s)
            let hi = Double(s + 1)
            var d = min(destination - 1, Int(lo / ratio))
            while d < destination {
                let start = Double(d) * ratio
                if start >= hi { break }
                let overlap = min(hi, start + ratio) - max(lo, start)
                if overlap > 1e-12 { out.append((s, d, Float(overlap / ratio))) }
                d += 1
            }
        }
        return out
    }
}
