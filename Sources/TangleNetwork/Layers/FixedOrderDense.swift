import CRowGEMM

/// A fully connected layer as judging runs it: every output is one fused multiply-add chain over
/// the inputs in order, then the bias, then the activation (`tangle_row_gemm`), so an image's
/// outputs are the same floats whatever batch it is in and wherever it sits in it. (BLAS's SGEMM
/// blocks by the row count and takes other paths for one row, which moves the last bits.)
public struct FixedOrderDense: JudgingKernel, @unchecked Sendable {
    /// The layer it stands in for.
    public let layer: DenseLayer
    /// The kernel in 32-column panels (`tangle_row_gemm_pack`), which every kernel level reads.
    private let packed: [Float]
    private let bias: [Float]

    /// Copies `layer`'s kernel and bias from the network's flat `parameters`.
    public init(layer: DenseLayer, parameters: UnsafePointer<Float>) {
        self.layer = layer
        let (i, o) = (layer.inputShape.size, layer.outputShape.size)
        let base = parameters + layer.parameterOffset
        packed = [Float](unsafeUninitializedCapacity: Int(tangle_row_gemm_packed_count(Int64(i), Int64(o)))) { buffer, count in
            tangle_row_gemm_pack(base, Int64(o), Int64(i), Int64(o), buffer.baseAddress!)
            count = buffer.count
        }
        bias = Array(UnsafeBufferPointer(start: base + i * o, count: o))
    }

    /// None.
    public var scratchBytes: Int { 0 }

    /// Layer by layer over the whole slice: the weights are read once for many rows.
    public var runsImageByImage: Bool { false }

    /// Computes the outputs of `count` rows.
    public func forward(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, count: Int, scratch: UnsafeMutableRawPointer) {
        let (i, o) = (Int64(layer.inputShape.size), Int64(layer.outputShape.size))
        let relu: Int32 = layer.spec.activation == .relu ? 1 : 0
        packed.withUnsafeBufferPointer { p in
            bias.withUnsafeBufferPointer { b in
                tangle_row_gemm_packed(input, i, Int64(count), i, p.baseAddress!, o, b.baseAddress!, relu, output, o)
            }
        }
    }
}
