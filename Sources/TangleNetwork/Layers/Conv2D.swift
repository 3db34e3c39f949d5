import CLayerPasses
import Foundation
import TangleTensor

/// A 2-D convolution over NHWC images by im2col and SGEMM, with a fused activation.
///
/// Shapes: input `[count, H, W, C]`, kernel `[k, k, C, F]` (read as a `[k*k*C, F]` matrix whose
/// rows follow im2col's column order `(ky, kx, c)`), bias `[F]`, output `[count, OH, OW, F]`.
///
/// The bias is folded into the GEMM: every im2col row ends in a 1, and the kernel and bias,
/// stored one after the other, form a `[k*k*C + 1, F]` matrix. The same product then yields the
/// bias gradient beside the kernel gradient.
///
/// Images are processed in small chunks so the im2col matrix stays in cache; backward recomputes
/// it per chunk rather than keeping a batch-sized copy (memory traffic, not arithmetic, is what
/// limits this layer on a CPU).
public struct Conv2DLayer: Layer {
    public let spec: LayerSpec
    public let inputShape: Shape3
    public let outputShape: Shape3
    public let parameterOffset: Int
    let k: Int, stride: Int, padTop: Int, padLeft: Int, filters: Int
    let activation: LayerSpec.Activation
    /// Images per im2col chunk.
    public let chunk: Int

    /// The target size of one im2col chunk, in floats (640 KiB, so it stays in a core's L2 cache;
    /// measured with `tangle bench layers`: larger chunks ran conv2 up to 1.5x slower).
    public static let chunkFloats: Int = {
        if let s = ProcessInfo.processInfo.environment["TANGLE_CHUNK"], let v = Int(s) { return v }
        return 160 * 1024
    }()

    /// Creates the layer.
    public init(spec: LayerSpec, input: Shape3, parameterOffset: Int) throws {
        guard let filters = spec.filters, filters > 0, let k = spec.kernel, k > 0 else {
            throw NetworkError.invalidLayer(spec.name, "a convolution needs filters > 0 and kernel > 0")
        }
        let stride = spec.stride ?? 1
        guard stride >= 1 else { throw NetworkError.invalidLayer(spec.name, "stride must be at least 1") }
        let oh: Int, ow: Int, padTop: Int, padLeft: Int
        switch spec.padding ?? .same {
        case .same:
            oh = (input.height + stride - 1) / stride
            ow = (input.width + stride - 1) / stride
            padTop = max((oh - 1) * stride + k - input.height, 0) / 2
            padLeft = max((ow - 1) * stride + k - input.width, 0) / 2
        case .valid:
            guard input.height >= k, input.width >= k else {
                throw NetworkError.invalidLayer(spec.name, "kernel \(k) is larger than input \(input)")
            }
            oh = (input.height - k) / stride + 1
            ow = (input.width - k) / stride + 1
            padTop = 0
            padLeft = 0
        }
        self.spec = spec
        self.k = k
        self.stride = stride
        self.padTop = padTop
        self.padLeft = padLeft
        self.filters = filters
        activation = spec.activation ?? .linear
        inputShape = input
        outputShape = Shape3(height: oh, width: ow, channels: filters)
        self.parameterOffset = parameterOffset
        chunk = max(1, Conv2DLayer.chunkFloats / (oh * ow * k * k * input.channels))
    }

    var patch: Int { k * k * inputShape.channels }
    /// im2col row length: the patch plus the constant 1 for the bias.
    private var row: Int { patch + 1 }
    var pixels: Int { outputShape.height * outputShape.width }

    public var parameterSpecs: [ParameterSpec] {
        let c = inputShape.channels
        return [
            ParameterSpec(name: "\(spec.name).kernel", shape: [k, k, c, filters], fans: (k * k * c, k * k * filters)),
            ParameterSpec(name: "\(spec.name).bias", shape: [filters], fans: nil),
        ]
    }

    /// im2col matrix plus its gradient, for one chunk.
    public var scratchCount: Int { chunk * pixels * (row + patch) + paddedSize }

    public var flopsPerImage: (forward: Double, backward: Double) {
        let f = 2.0 * Double(pixels * patch * filters)
        return (f, 2 * f)
    }

    /// The padded image's height and width (input plus zero borders).
    var paddedHeight: Int { max(inputShape.height + 2 * padTop, (outputShape.height - 1) * stride + k) }
    var paddedWidth: Int { max(inputShape.width + 2 * padLeft, (outputShape.width - 1) * stride + k) }
    var paddedSize: Int { paddedHeight * paddedWidth * inputShape.channels }

    /// Writes the im2col matrix `[n * OH * OW, k * k * C + 1]` of `n` images (last column 1).
    ///
    /// Each image is first copied into a zero-bordered buffer so that every kernel row is one
    /// contiguous run of `k * C` values, with no bounds checks in the inner loop (`tangle_im2col`,
    /// CLayerPasses: plain C or AVX-512, the same floats).
    private func im2col(_ input: UnsafePointer<Float>, _ n: Int, _ col: UnsafeMutablePointer<Float>, padded: UnsafeMutablePointer<Float>) {
        let (h, w, c) = (inputShape.height, inputShape.width, inputShape.channels)
        for img in 0..<n {
            tangle_im2col(
                input + img * inputShape.size, Int64(h), Int64(w), Int64(c), Int64(padTop), Int64(padLeft), padded,
                Int64(paddedHeight), Int64(paddedWidth), Int64(k), Int64(stride), Int64(outputShape.height),
                Int64(outputShape.width), col + img * pixels * row)
        }
    }

    /// Adds the im2col-shaped gradient `[n * OH * OW, k * k * C]` back onto the input gradient
    /// (the transpose of `im2col`), through a zero-bordered buffer; overwrites the input gradient
    /// instead when `accumulate` is false (`tangle_col2im`, CLayerPasses).
    private func col2im(
        _ col: UnsafePointer<Float>, _ n: Int, _ dInput: UnsafeMutablePointer<Float>, accumulate: Bool,
        padded: UnsafeMutablePointer<Float>
    ) {
        let (h, w, c) = (inputShape.height, inputShape.width, inputShape.channels)
        for img in 0..<n {
            tangle_col2im(
                col + img * pixels * patch, Int64(h), Int64(w), Int64(c), Int64(padTop), Int64(padLeft), padded,
                Int64(paddedHeight), Int64(paddedWidth), Int64(k), Int64(stride), Int64(outputShape.height),
                Int64(outputShape.width), dInput + img * inputShape.size, accumulate ? 1 : 0)
        }
    }

    public func forward(
        input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, count: Int,
        parameters: UnsafePointer<Float>, scratch: UnsafeMutablePointer<Float>
    ) {
        let kernel = parameters + parameterOffset
        var start = 0
        while start < count {
            let n = min(chunk, count - start)
            im2col(input + start * inputShape.size, n, scratch, padded: scratch + chunk * pixels * (row + patch))
            let out = output + start * outputShape.size
            // [rows, patch + 1] · [patch + 1, F]: the last row of the matrix is the bias.
            BLAS.gemm(m: n * pixels, n: filters, k: row, a: scratch, lda: row, b: kernel, ldb: filters, c: out, ldc: filters)
            if activation == .relu { relu(out, count: n * pixels * filters) }
            start += n
        }
    }

    public func backward(
        input: UnsafePointer<Float>, output: UnsafePointer<Float>, outputGradient: UnsafeMutablePointer<Float>,
        inputGradient: UnsafeMutablePointer<Float>?, accumulate: Bool, count: Int,
        parameters: UnsafePointer<Float>, parameterGradients: UnsafeMutablePointer<Float>,
        scratch: UnsafeMutablePointer<Float>
    ) {
        let kernel = parameters + parameterOffset
        let dKernel = parameterGradients + parameterOffset
        let dCol = scratch + chunk * pixels * row
        let padded = dCol + chunk * pixels * patch
        var start = 0
        while start < count {
            let n = min(chunk, count - start)
            let rows = n * pixels
            let g = outputGradient + start * outputShape.size
            if activation == .relu { reluMask(g, output: output + start * outputShape.size, count: rows * filters) }
            im2col(input + start * inputShape.size, n, scratch, padded: padded)
            // [dKernel; dBias] += col^T · dOut
            BLAS.gemm(
                transA: true, m: row, n: filters, k: rows, a: scratch, lda: row, b: g, ldb: filters,
                beta: 1, c: dKernel, ldc: filters)
            if let inputGradient {
                // dCol = dOut · kernel^T, then scatter-add into the input gradient.
                BLAS.gemm(
                    transB: true, m: rows, n: patch, k: filters, a: g, lda: filters, b: kernel, ldb: filters,
                    c: dCol, ldc: patch)
                col2im(dCol, n, inputGradient + start * inputShape.size, accumulate: accumulate, padded: padded)
            }
            start += n
        }
    }
}
