/// A labelled set of same-sized images (grey, or colour with interleaved channels) with sample
/// values as bytes.
///
/// Pixels are kept as bytes (a quarter of the memory of floats) and converted to `[0, 1]` floats
/// batch by batch.
public struct LabelledImages: Sendable {
    /// Image height.
    public let rows: Int
    /// Image width.
    public let columns: Int
    /// Channels per pixel: 1 (grey) or 3 (RGB), interleaved.
    public let channels: Int
    /// `count * rows * columns * channels` bytes, image after image, row-major, channels interleaved.
    public let pixels: [UInt8]
    /// One class index per image.
    public let labels: [Int32]
    /// Class names, indexed by label.
    public let classNames: [String]
    /// What each image looked like when it arrived, before preprocessing (a photograph's size and
    /// colour), when the set was read from files; `nil` when the bytes are the images as they arrived
    /// (an IDX file) or nothing recorded it. The verdict's arrival evidence reads it.
    public var arrivals: [ArrivalStatistics]?

    /// Creates a set after checking counts and label range.
    /// - Throws: ``DataError/invalid(_:)`` when the sizes disagree or a label is out of range.
    public init(rows: Int, columns: Int, channels: Int = 1, pixels: [UInt8], labels: [Int32], classNames: [String]) throws {
        guard rows > 0, columns > 0, channels > 0 else {
            throw DataError.invalid("images must have a positive size, got \(rows)x\(columns)x\(channels)")
        }
        guard pixels.count == labels.count * rows * columns * channels else {
            throw DataError.invalid("\(pixels.count) pixel bytes do not make \(labels.count) images of \(rows)x\(columns)x\(channels)")
        }
        if let bad = labels.firstIndex(where: { $0 < 0 || Int($0) >= classNames.count }) {
            throw DataError.invalid("label \(labels[bad]) of image \(bad) is outside the \(classNames.count) classes")
        }
        self.rows = rows
        self.columns = columns
        self.channels = channels
        self.pixels = pixels
        self.labels = labels
        self.classNames = classNames
    }

    /// The number of images.
    public var count: Int { labels.count }
    /// Pixels per image.
    public var imageSize: Int { rows * columns * channels }

    /// Writes images `indices` as `[0, 1]` floats (pixel / 255) into `out`, one after another.
    public func copyImages<C: Collection>(_ indices: C, into out: UnsafeMutablePointer<Float>) where C.Element == Int {
        let size = imageSize
        LabelledImages.unitScale.withUnsafeBufferPointer { table in
            pixels.withUnsafeBufferPointer { px in
                var dst = out
                for i in indices {
                    let src = px.baseAddress! + i * size
                    for j in 0..<size { dst[j] = table[Int(src[j])] }
                    dst += size
                }
            }
        }
    }

    /// `byte / 255` for every byte value (exactly the division, as the reference computes it).
    static let unitScale: [Float] = (0..<256).map { Float($0) / 255 }

    /// The images at `indices`, as a new set.
    public func subset<C: Collection>(_ indices: C) -> LabelledImages where C.Element == Int {
        var px: [UInt8] = []
        px.reserveCapacity(indices.count * imageSize)
        var lb: [Int32] = []
        lb.reserveCapacity(indices.count)
        for i in indices {
            px.append(contentsOf: pixels[(i * imageSize)..<((i + 1) * imageSize)])
            lb.append(labels[i])
        }
        // Sizes are consistent by construction.
        var out = try! LabelledImages(rows: rows, columns: columns, channels: channels, pixels: px, labels: lb, classNames: classNames)
        if let arrivals { out.arrivals = indices.map { arrivals[$0] } }
        return out
    }

    /// Images per class.
    public var classCounts: [Int] {
        var c = [Int](repeating: 0, count: classNames.count)
        for l in labels { c[Int(l)] += 1 }
        return c
    }
}
