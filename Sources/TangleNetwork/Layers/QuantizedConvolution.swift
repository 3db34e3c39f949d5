import CInt8GEMM
import TangleTensor

/// A convolution layer's kernel in signed 8 bits, and its forward pass over unsigned 8-bit
/// activations (see ``Arithmetic/int8``).
///
/// The kernel is quantized when this value is made: a workspace that judges makes one per
/// 8-bit layer from the network's weights at that moment.
public struct QuantizedConvolution: JudgingKernel, @unchecked Sendable {
    /// The layer it stands in for.
    public let layer: Conv2DLayer
    /// The patch rounded up to a multiple of 4 (the kernels read 4 bytes at a time).
    let depth: Int
    /// The packed kernel (`tangle_qgemm_pack`).
    private let packed: [Int8]
    /// Per filter: the weight step, `max |w| / 127` (0 for an all-zero filter).
    let filterScales: [Float]
    /// The bias, copied.
    private let bias: [Float]

    /// The largest patch (`kernel² × channels`) it runs: 65,792 (`TANGLE_QGEMM_MAX_K`), the most
    /// whose integer sums fit in 32 bits; ``Arithmetic/runsInInt8(_:of:)`` keeps a wider layer in float32.
    public static let maxPatch = Int(TANGLE_QGEMM_MAX_K)

    /// Quantizes `layer`'s kernel from the network's flat `parameters`.
    /// - Precondition: `layer.patch` is at most ``maxPatch``.
    public init(layer: Conv2DLayer, parameters: UnsafePointer<Float>) {
        precondition(
            layer.patch <= Self.maxPatch,
            "8-bit convolution \(layer.spec.name) with a \(layer.patch)-value patch: at most \(Self.maxPatch) fit its 32-bit sums")
        self.layer = layer
        let patch = layer.patch, filters = layer.filters
        let depth = (patch + 3) / 4 * 4
        self.depth = depth
        let kernel = parameters + layer.parameterOffset
        var scales = [Float](repeating: 0, count: filters)
        for f in 0..<filters {
            var m: Float = 0
            for t in 0..<patch { m = max(m, abs(kernel[t * filters + f])) }
            scales[f] = m / 127
        }
        var q = [Int8](repeating: 0, count: depth * filters)
        for t in 0..<patch {
            for f in 0..<filters where scales[f] > 0 {
                q[t * filters + f] = Int8(max(-127, min(127, (kernel[t * filters + f] / scales[f]).rounded())))
            }
        }
        var p = [Int8](repeating: 0, count: Int(tangle_qgemm_packed_bytes(Int64(depth), Int64(filters))))
        q.withUnsafeBufferPointer { src in
            p.withUnsafeMutableBufferPointer { tangle_qgemm_pack(src.baseAddress!, Int64(depth), Int64(filters), $0.baseAddress!) }
        }
        packed = p
        filterScales = scales
        bias = Array(UnsafeBufferPointer(start: kernel + patch * filters, count: filters))
    }

    /// Scratch bytes one image needs: the padded 8-bit image, its im2col rows and their scales.
    public var scratchBytes: Int { layer.paddedSize + layer.pixels * depth + layer.pixels * 4 + 64 }

    /// Computes the layer's output for `count` images, one image at a time. `scratch` holds
    /// ``scratchBytes`` bytes.
    public func forward(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, count: Int, scratch: UnsafeMutableRawPointer) {
        let l = layer
        let (inShape, outShape) = (l.inputShape, l.outputShape)
        let pixels = l.pixels
        // The scratch is the workspace's float memory: the row scales use it as floats, the 8-bit
        // image and rows rebind their part for the duration of the call.
        let rowScales = scratch.assumingMemoryBound(to: Float.self)
        (scratch + pixels * 4).withMemoryRebound(to: UInt8.self, capacity: l.paddedSize + pixels * depth) { bytes in
        let padded = bytes, rows = bytes + l.paddedSize
        packed.withUnsafeBufferPointer { w in
            filterScales.withUnsafeBufferPointer { fs in
                bias.withUnsafeBufferPointer { b in
                    for img in 0..<count {
                        let s = tangle_quantize_im2col(
                            input + img * inShape.size, Int64(inShape.height), Int64(inShape.width), Int64(inShape.channels), Int64(l.k),
                            Int64(l.stride), Int64(l.padTop), Int64(l.padLeft), Int64(outShape.height), Int64(outShape.width), padded,
                            Int64(l.paddedHeight), Int64(l.paddedWidth), rows, Int64(depth))
                        rowScales.update(repeating: s, count: pixels)
                        tangle_qgemm(
                            rows, Int64(depth), Int64(pixels), Int64(depth), w.baseAddress!, Int64(l.filters), rowScales, fs.baseAddress!,
                            b.baseAddress!, l.activation == .relu ? 1 : 0, output + img * outShape.size, Int64(l.filters))
                    }
                }
            }
        }
        }
    }
}
