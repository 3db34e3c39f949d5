import TangleTensor

/// A fully connected layer: `out[n, o] = act(sum_i in[n, i] * kernel[i, o] + bias[o])`.
///
/// Shapes: input `[count, I]` (the flattened NHWC image), kernel `[I, O]`, bias `[O]`, output `[count, O]`.
public struct DenseLayer: Layer {
    public let spec: LayerSpec
    public let inputShape: Shape3
    public let outputShape: Shape3
    public let parameterOffset: Int
    /// The kernel's transpose, for the input gradient.
    public var scratchCount: Int { inputShape.size * outputShape.size }
    private let activation: LayerSpec.Activation

    /// Creates the layer; `parameterOffset` is where its kernel starts in the flat buffer.
    public init(spec: LayerSpec, input: Shape3, parameterOffset: Int) throws {
        guard let units = spec.units, units > 0 else {
            throw NetworkError.invalidLayer(spec.name, "a dense layer needs units > 0")
        }
        self.spec = spec
        inputShape = input
        outputShape = .vector(units)
        self.parameterOffset = parameterOffset
        activation = spec.activation ?? .linear
    }

    private var inSize: Int { inputShape.size }
    private var outSize: Int { outputShape.size }

    public var parameterSpecs: [ParameterSpec] {
        [
            ParameterSpec(name: "\(spec.name).kernel", shape: [inSize, outSize], fans: (inSize, outSize)),
            ParameterSpec(name: "\(spec.name).bias", shape: [outSize], fans: nil),
        ]
    }

    public var flopsPerImage: (forward: Double, backward: Double) {
        let f = 2.0 * Double(inSize * outSize)
        return (f, 2 * f)
    }

    public func forward(
        input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, count: Int,
        parameters: UnsafePointer<Float>, scratch: UnsafeMutablePointer<Float>
    ) {
        guard count > 0 else { return }
        let kernel = parameters + parameterOffset
        let bias = kernel + inSize * outSize
        TileGEMM.gemm(m: count, n: outSize, k: inSize, a: input, lda: inSize, b: kernel, ldb: outSize, c: output, ldc: outSize)
        addBiasAndActivate(output, rows: count, width: outSize, bias: bias, activation: activation)
    }

    public func backward(
        input: UnsafePointer<Float>, output: UnsafePointer<Float>, outputGradient: UnsafeMutablePointer<Float>,
        inputGradient: UnsafeMutablePointer<Float>?, accumulate: Bool, count: Int,
        parameters: UnsafePointer<Float>, parameterGradients: UnsafeMutablePointer<Float>,
        scratch: UnsafeMutablePointer<Float>
    ) {
        guard count > 0 else { return }
        let kernel = parameters + parameterOffset
        let dKernel = parameterGradients + parameterOffset
        let dBias = dKernel + inSize * outSize
        maskAndSumBias(
            gradient: outputGradient, output: output, rows: count, width: outSize, biasGradient: dBias,
            activation: activation)
        // dKernel += input^T · dOut
        TileGEMM.gemm(
            transA: true, m: inSize, n: outSize, k: count, a: input, lda: inSize, b: outputGradient, ldb: outSize,
            accumulate: true, c: dKernel, ldc: outSize)
        // dInput (+)= dOut · kernel^T, on a transposed copy of the kernel: TileGEMM's broadcast
        // tiles read the right-hand side by rows.
        if let inputGradient {
            TileGEMM.transpose(rows: 0..<inSize, columns: outSize, kernel, lda: outSize, into: scratch, ldt: inSize)
            TileGEMM.gemm(
                m: count, n: inSize, k: outSize, a: outputGradient, lda: outSize, b: scratch, ldb: inSize,
                accumulate: accumulate, c: inputGradient, ldc: inSize)
        }
    }
}
