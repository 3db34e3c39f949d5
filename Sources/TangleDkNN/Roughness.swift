import Foundation

/// Dark-region roughness: total variation weighted towards the dark end of the intensity range.
///
/// `R_p(x) = Σ over horizontally and vertically adjacent pixels |x_i − x_j| · (1 − max(x_i, x_j))^p`
/// (values in `[0, 1]`). Fashion-MNIST objects sit on a flat black background, so a clean image's
/// dark region contributes almost nothing; an L∞ attack (FGSM, BIM) sprinkles it with ±ε noise
/// that clipping at 0 cannot remove. Large exponents weigh only the near-black background
/// (sensitive to weak perturbations), small ones also count dark-grey regions (strong
/// perturbations push the background up to ε). No threshold is built in: the detector compares
/// the value with what the calibration split shows is normal.
public enum Roughness {
    /// The exponents the detector uses: 2 (strong perturbations) and 8 (weak ones).
    public static let exponents = [2, 8]

    /// `R_p` of one `height x width x channels` image (channels are treated separately).
    public static func score(_ x: UnsafePointer<Float>, height: Int, width: Int, channels: Int, exponent: Int) -> Double {
        @inline(__always) func weight(_ a: Float, _ b: Float) -> Float {
            let d = 1 - min(max(max(a, b), 0), 1)
            var w: Float = 1
            for _ in 0..<exponent { w *= d }
            return w
        }
        var total: Float = 0
        for y in 0..<height {
            for xx in 0..<width {
                for c in 0..<channels {
                    let v = x[(y * width + xx) * channels + c]
                    if xx + 1 < width {
                        let r = x[(y * width + xx + 1) * channels + c]
                        total += abs(v - r) * weight(v, r)
                    }
                    if y + 1 < height {
                        let d = x[((y + 1) * width + xx) * channels + c]
                        total += abs(v - d) * weight(v, d)
                    }
                }
            }
        }
        return Double(total)
    }
}
