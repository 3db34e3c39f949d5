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
                    for c in 0..<channels {
                        var v: [Float] = []
                        v.reserveCapacity(4)
                        for dy in 0...1 {
                            for dx in 0...1 {
                                let yy = min(y + dy, height - 1), xc = min(xx + dx, width - 1)
                                v.append(x[(yy * width + xc) * channels + c])
                            }
                        }
                        v.sort()
                        out[(y * width + xx) * channels + c] = (v[1] + v[2]) / 2
                    }
                }
            }
        }
    }
}
