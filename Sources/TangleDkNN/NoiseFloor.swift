import Foundation

/// The noise floor of an input: how rough its *smoothest* parts are.
///
/// Every interior pixel of every channel is filtered with Immerkær's noise-estimation kernel
/// (J. Immerkær, "Fast noise variance estimation", 1996), the difference of two Laplacians
///
///     [ 1 −2  1]
///     [−2  4 −2]
///     [ 1 −2  1]
///
/// which is zero on any locally linear patch and answers to pixel-to-pixel noise. The noise floor is
/// the lower quartile (``quantile``, numpy's default linear interpolation between order statistics)
/// of the absolute responses. Real images — product shots on black, photographs — keep at least a
/// quarter of their pixels in smooth regions, so their floor is low whatever their edges and
/// texture; an L∞ or L2 attack perturbs nearly every pixel by about ε, which lifts the floor to
/// about ε everywhere at once. Unlike ``Roughness`` it does not need a dark background, and it
/// reads only the input, so it is the same whichever model an attack was made on. No threshold is
/// built in: the detector compares the value with what the calibration split shows is normal.
public enum NoiseFloor {
    /// The quantile of the absolute kernel responses taken as the floor.
    public static let quantile = 0.25

    /// The noise floor of one `height x width x channels` image (interleaved channels, each
    /// filtered on its own; every response of every channel in one pool). 0 for images smaller
    /// than 3x3, which have no interior pixel.
    public static func score(_ x: UnsafePointer<Float>, height: Int, width: Int, channels: Int) -> Double {
        guard height >= 3, width >= 3, channels >= 1 else { return 0 }
        let count = (height - 2) * (width - 2) * channels
        return withUnsafeTemporaryAllocation(of: Float.self, capacity: count) { r in
            var n = 0
            for y in 1..<(height - 1) {
                for xx in 1..<(width - 1) {
                    for c in 0..<channels {
                        @inline(__always) func p(_ dy: Int, _ dx: Int) -> Float { x[((y + dy) * width + xx + dx) * channels + c] }
                        let corners = (p(-1, -1) + p(-1, 1)) + (p(1, -1) + p(1, 1))
                        let edges = (p(-1, 0) + p(1, 0)) + (p(0, -1) + p(0, 1))
                        r[n] = abs(corners - 2 * edges + 4 * p(0, 0))
                        n += 1
                    }
                }
            }
            return Self.quantile(r, quantile)
        }
    }

    /// The `q`-quantile of `values` with linear interpolation between the order statistics at
    /// `⌊q(n−1)⌋` and the next (numpy's default); reorders `values`.
    static func quantile(_ values: UnsafeMutableBufferPointer<Float>, _ q: Double) -> Double {
        let n = values.count
        guard n > 0 else { return 0 }
        let position = q * Double(n - 1)
        let lower = Int(position.rounded(.down))
        let a = select(values, lower)
        guard lower + 1 < n, position > Double(lower) else { return Double(a) }
        // After selecting `lower`, everything above it is at or above `a`: the next order
        // statistic is their minimum.
        var b = Float.infinity
        for i in (lower + 1)..<n { b = min(b, values[i]) }
        return Double(a) + (Double(b) - Double(a)) * (position - Double(lower))
    }

    /// The `k`-th smallest value (0-based), by quickselect with a median-of-three pivot; afterwards
    /// `values[k]` holds it, everything before it is at or below and everything after at or above.
    static func select(_ values: UnsafeMutableBufferPointer<Float>, _ k: Int) -> Float {
        var low = 0, high = values.count - 1
        while low < high {
            let mid = low + (high - low) / 2
            // Median of three to values[mid].
            if values[mid] < values[low] { values.swapAt(mid, low) }
            if values[high] < values[low] { values.swapAt(high, low) }
            if values[high] < values[mid] { values.swapAt(high, mid) }
            let pivot = values[mid]
            var i = low, j = high
            while i <= j {
                while values[i] < pivot { i += 1 }
                while values[j] > pivot { j -= 1 }
                if i <= j {
                    values.swapAt(i, j)
                    i += 1
                    j -= 1
                }
            }
            if k <= j {
                high = j
            } else if k >= i {
                low = i
            } else {
                break
            }
        }
        return values[k]
    }
}
