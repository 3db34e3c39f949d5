/// The arithmetic of judging.
///
/// Training and its evaluation always run in float32. Judging (the neighbour index, the detector,
/// everything calibrated on them) may run in 8 bits where it pays: the index's PCA projections
/// (of rows with no negative value; see `Projection.quantized()`) and convolutions, whose input is
/// quantized per image to unsigned 8 bits (`max / 255` steps), its kernel per filter to signed 8
/// bits (`max |w| / 127` steps), the products are summed exactly in 32-bit integers, and bias and
/// activation follow in float32. On a processor with AVX-512 VNNI this is about four times the
/// float32 rate; the index, its calibration and every judgement must then use it too, which is why
/// it is recorded with the index.
public enum Arithmetic: String, Codable, Sendable, CaseIterable {
    /// float32 everywhere.
    case float32
    /// 8-bit convolutions where ``Arithmetic/runsInInt8(_:of:)`` allows and 8-bit projections in
    /// the neighbour index; float32 elsewhere, with the remaining (small-patch) convolutions
    /// computed directly (``DirectConvolution``) rather than by im2col and GEMM.
    case int8

    /// The revision of judging's kernels: raised whenever they would compute other numbers (a
    /// different summation order is enough), so that indexes cached by an older build are rebuilt.
    public static let kernelRevision = 3

    /// The fewest values in a convolution's patch for 8 bits to pay: smaller ones (a first layer
    /// over one grey channel has 25) are cheap in float32, and 8-bit weights cost them the most
    /// precision.
    public static let smallestInt8Patch = 64

    /// Whether layer `index` of `network` runs in 8 bits under this arithmetic: a convolution whose
    /// patch has at least ``smallestInt8Patch`` and at most ``QuantizedConvolution/maxPatch``
    /// values (wider sums could overflow 32 bits) and whose input is never negative (it follows a
    /// ReLU, perhaps through max-pooling; 8-bit activations are unsigned).
    public func runsInInt8(_ index: Int, of network: Network) -> Bool {
        guard self == .int8, let conv = network.layers[index] as? Conv2DLayer, conv.patch >= Arithmetic.smallestInt8Patch,
            conv.patch <= QuantizedConvolution.maxPatch
        else { return false }
        var i = index - 1
        while i >= 0 {
            let l = network.layers[i]
            switch l.spec.kind {
            case .maxpool: i -= 1
            case .conv2d, .dense: return (l.spec.activation ?? .linear) == .relu
            }
        }
        return false // the input images: not assumed non-negative
    }
}
