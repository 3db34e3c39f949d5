/// Feature squeezing (Xu, Evans & Qi 2018): the model's softmax on an input is compared with its
/// softmax on squeezed copies; a large L1 change suggests a small adversarial perturbation.
public enum Squeezer: String, Sendable, CaseIterable, Codable {
    /// Colour depth reduced to 3 bits (8 levels).
    case bitDepth3 = "bit_depth_3"
    /// 2x2 median filter (the mean of the middle two of each 2x2 window, anchored top-left,
    /// edges clamped).
    case median2x2 = "median_2x2"

    /// Writes the squeezed copy of one `height x width x channels` image.
    public func apply(_ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, height: Int, width: Int, channels: Int) {
        switch self {
        case .bitDepth3:
            for i in 0..<(height * width * channels) { out[i] = (x[i] * 7).rounded() / 7 }
        case .median2x2:
            for y in 0..<height {
                for xx in 0..<width {
                    let y1 = min(y + 1, height - 1), x1 = min(xx + 1, width - 1)
                    for c in 0..<channels {
                        let a = x[(y * width + xx) * channels + c], b = x[(y * width + x1) * channels + c]
                        let d = x[(y1 * width + xx) * channels + c], e = x[(y1 * width + x1) * channels + c]
                        // The middle two of four values: the sum less the smallest and the largest.
                        let lo = min(min(a, b), min(d, e)), hi = max(max(a, b), max(d, e))
                        out[(y * width + xx) * channels + c] = (a + b + d + e - lo - hi) / 2
                    }
                }
            }
        }
    }
}
