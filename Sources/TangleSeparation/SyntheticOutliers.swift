import TangleTensor

/// Outlier examples made from in-distribution images, for model selection and the verdict's routing rule without any
/// real outlier data: pixels shuffled (no object left) and intensities inverted (a light background).
public enum SyntheticOutliers {
    /// Writes one transformed image of `size` values.
    public typealias Transform = @Sendable (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int, inout SeededGenerator) -> Void

    /// The transforms by name.
    public static let all: [(String, Transform)] = [
        ("shuffled", { src, dst, size, rng in
            let p = rng.permutation(size)
            for j in 0..<size { dst[j] = src[p[j]] }
        }),
        ("inverted", { src, dst, size, _ in
            for j in 0..<size { dst[j] = 1 - src[j] }
        }),
    ]
}
