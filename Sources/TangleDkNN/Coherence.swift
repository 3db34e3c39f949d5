import Foundation

/// How much image an input keeps at a coarse scale: the variance of its 4x4 block means over the
/// variance of its pixels (each channel on its own; the sums pooled over channels).
///
/// A real image — a garment, a photograph — is mostly large-scale structure, so its block means
/// vary nearly as much as its pixels (Fashion-MNIST's calibration split: 0.34–0.86 from the 1st to
/// the 99th percentile). Noise averages out within a block: a pixel-shuffled image keeps 0.04–0.09,
/// while an attack, however strong, leaves the object underneath (FGSM 0.3: 0.11–0.65). It tells
/// pure noise — a corrupt file decoded into random pixels — from an attacked image, which the noise
/// floor (``NoiseFloor``) cannot: both are rough everywhere.
public enum Coherence {
    /// The block side in pixels.
    public static let block = 4

    /// The coherence of one `height x width x channels` image over its whole blocks (the last rows
    /// and columns that do not fill a block are left out); 1 for an image with fewer than two
    /// blocks or no variance at all (nothing to tell).
    public static func score(_ x: UnsafePointer<Float>, height: Int, width: Int, channels: Int) -> Double {
        let rows = height / block
        let columns = width / block
        guard rows * columns >= 2, channels >= 1 else { return 1 }
        let h = rows * block
        let w = columns * block
        var blockVariance = 0.0
        var pixelVariance = 0.0
        return withUnsafeTemporaryAllocation(of: Double.self, capacity: rows * columns) { means in
            for c in 0..<channels {
                var sum = 0.0
                var squares = 0.0
                means.initialize(repeating: 0)
                for y in 0..<h {
                    for xx in 0..<w {
                        let v = Double(x[(y * width + xx) * channels + c])
                        sum += v
                        squares += v * v
                        means[(y / block) * columns + xx / block] += v
                    }
                }
                let n = Double(h * w)
                let mean = sum / n
                pixelVariance += max(squares / n - mean * mean, 0)
                let perBlock = Double(block * block)
                var blockSquares = 0.0
                for m in means { blockSquares += (m / perBlock - mean) * (m / perBlock - mean) }
                blockVariance += blockSquares / Double(rows * columns)
            }
            return pixelVariance > 1e-12 ? blockVariance / pixelVariance : 1
        }
    }
}
