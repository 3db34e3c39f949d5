import TangleTensor

/// Seeded data augmentation for a training batch, applied in place to the batch's input tensor
/// (`height x width x channels` per image, channels interleaved): a random crop of the image padded
/// with `cropPadding` zeros on every side (the same as shifting it by up to that many pixels and
/// filling with black), and a horizontal flip with probability one half. Off by default; `tangle
/// train` turns it on for photographs (see ``Augmentation/default(forPhotographs:)``).
public struct Augmentation: Sendable, Equatable {
    /// Zero padding of the random crop, in pixels (0: no crop).
    public var cropPadding: Int
    /// Flip left to right half of the time.
    public var flip: Bool

    /// Settings.
    public init(cropPadding: Int = 4, flip: Bool = true) {
        self.cropPadding = cropPadding
        self.flip = flip
    }

    /// What the model card records.
    public var record: [String] {
        (cropPadding > 0 ? ["random crop with \(cropPadding)-pixel zero padding"] : []) + (flip ? ["horizontal flip, p = 0.5"] : [])
    }

    /// Augments `count` images at `images` in place, drawing from `rng` (so a run with one seed
    /// augments the same way every time).
    public func apply(
        _ images: UnsafeMutablePointer<Float>, count: Int, height: Int, width: Int, channels: Int, rng: inout SeededGenerator
    ) {
        let size = height * width * channels
        let row = width * channels
        var scratch = [Float](repeating: 0, count: size)
        for n in 0..<count {
            let image = images + n * size
            let p = cropPadding
            let dy = p > 0 ? Int(rng.next() % UInt64(2 * p + 1)) - p : 0
            let dx = p > 0 ? Int(rng.next() % UInt64(2 * p + 1)) - p : 0
            let mirror = flip && rng.next() & 1 == 1
            guard dy != 0 || dx != 0 || mirror else { continue }
            scratch.withUnsafeMutableBufferPointer { out in
                for y in 0..<height {
                    let sy = y + dy
                    for x in 0..<width {
                        let sx0 = mirror ? width - 1 - x : x
                        let sx = sx0 + dx
                        let o = y * row + x * channels
                        if sy < 0 || sy >= height || sx < 0 || sx >= width {
                            for c in 0..<channels { out[o + c] = 0 }
                        } else {
                            let s = sy * row + sx * channels
                            for c in 0..<channels { out[o + c] = image[s + c] }
                        }
                    }
                }
                image.update(from: out.baseAddress!, count: size)
            }
        }
    }
}
