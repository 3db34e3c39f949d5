import CDirectConv
import CLayerPasses
import Foundation
import TangleTensor

/// A 2-D convolution over NHWC images, with a fused activation.
///
/// Shapes: input `[count, H, W, C]`, kernel `[k, k, C, F]` (read as a `[k*k*C, F]` matrix whose
/// rows follow im2col's column order `(ky, kx, c)`), bias `[F]`, output `[count, OH, OW, F]`.
///
/// - Forward: computed directly, image by image (`tangle_conv_direct`, CDirectConv: register
///   tiles of up to 12 pixels by 32 filters or 6 by 64, each output `bias + Σ w·x` in `(ky, kx, c)`
///   order with one fused multiply-add per term), with no im2col matrix to write and re-read.
/// - Input gradient, at stride 1: the same direct kernel over the zero-bordered output gradient
///   with the kernel turned half a turn and its channel axes swapped (a transposed convolution);
///   at other strides, the product `dOut · kernelᵀ` scattered back by col2im.
/// - Kernel and bias gradients: directly too (`tangle_conv_direct_kernel_gradient`: tiles of 6
///   kernel rows by 64 filters or 12 by 32, each gradient one chain of fused multiply-adds over the
///   output pixels in reading order, added onto what the batch's earlier images left).
///
/// The direct kernels read a zero-bordered copy of one image at a time, so nothing batch-sized is
/// written besides the output; the plain C kernels are the reference, and the AVX-512 ones give
/// their floats bit for bit.
public struct Conv2DLayer: Layer {
    public let spec: LayerSpec
    public let inputShape: Shape3
    public let outputShape: Shape3
    public let parameterOffset: Int
    let k: Int, stride: Int, padTop: Int, padLeft: Int, filters: Int
    let activation: LayerSpec.Activation
    /// Images per chunk of the input gradient at strides other than 1 (an im2col-shaped product
    /// scattered back by col2im).
    public let chunk: Int

    /// The target size of one im2col-shaped chunk, in floats (640 KiB, so it stays in a core's L2
    /// cache).
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
    var pixels: Int { outputShape.height * outputShape.width }

    public var parameterSpecs: [ParameterSpec] {
        let c = inputShape.channels
        return [
            ParameterSpec(name: "\(spec.name).kernel", shape: [k, k, c, filters], fans: (k * k * c, k * k * filters)),
            ParameterSpec(name: "\(spec.name).bias", shape: [filters], fans: nil),
        ]
    }

    /// A padded image (forward, kernel gradient); for the input gradient, at stride 1 the turned
    /// kernel, the padded output gradient and one image's input gradient, else the im2col-shaped
    /// gradient of one chunk and its padded image.
    public var scratchCount: Int { stride == 1 ? max(paddedSize, transposedScratch) : chunk * pixels * patch + paddedSize }

    /// The transposed convolution that gives the input gradient at stride 1: the output gradient
    /// bordered by `k - 1 - pad` zeros, so a "valid" pass over it with the turned kernel has the
    /// input's size.
    private var transposedPadTop: Int { k - 1 - padTop }
    private var transposedPadLeft: Int { k - 1 - padLeft }
    private var transposedHeight: Int { max(inputShape.height + k - 1, transposedPadTop + outputShape.height) }
    private var transposedWidth: Int { max(inputShape.width + k - 1, transposedPadLeft + outputShape.width) }
    /// Turned kernel, zero bias, padded output gradient, one image's input gradient.
    private var transposedScratch: Int {
        patch * filters + inputShape.channels + transposedHeight * transposedWidth * filters + inputShape.size
    }

    public var flopsPerImage: (forward: Double, backward: Double) {
        let f = 2.0 * Double(pixels * patch * filters)
        return (f, 2 * f)
    }

    /// The padded image's height and width (input plus zero borders).
    var paddedHeight: Int { max(inputShape.height + 2 * padTop, (outputShape.height - 1) * stride + k) }
    var paddedWidth: Int { max(inputShape.width + 2 * padLeft, (outputShape.width - 1) * stride + k) }
    var paddedSize: Int { paddedHeight * paddedWidth * inputShape.channels }

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
        let (i, o) = (inputShape, outputShape)
        for img in 0..<count {
            tangle_conv_direct(
                input + img * i.size, Int64(i.height), Int64(i.width), Int64(i.channels), kernel, kernel + patch * filters, Int64(filters),
                Int64(k), Int64(stride), Int64(padTop), Int64(padLeft), Int64(o.height), Int64(o.width), activation == .relu ? 1 : 0,
                scratch, Int64(paddedHeight), Int64(paddedWidth), output + img * o.size)
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
        if activation == .relu { reluMask(outputGradient, output: output, count: count * outputShape.size) }
        // dKernel += Σ_p x_p ⊗ dOut_p and dBias += Σ_p dOut_p, image by image.
        let (i, o) = (inputShape, outputShape)
        for img in 0..<count {
            tangle_conv_direct_kernel_gradient(
                input + img * i.size, Int64(i.height), Int64(i.width), Int64(i.channels), outputGradient + img * o.size, Int64(filters),
                Int64(k), Int64(stride), Int64(padTop), Int64(padLeft), Int64(o.height), Int64(o.width), scratch, Int64(paddedHeight),
                Int64(paddedWidth), dKernel, dKernel + patch * filters)
        }
        guard let inputGradient else { return }
        if stride == 1 {
            transposedInputGradient(outputGradient, count: count, kernel: kernel, into: inputGradient, accumulate: accumulate, scratch: scratch)
            return
        }
        // Other strides: dCol = dOut · kernel^T, chunk by chunk, scattered back by col2im.
        let dCol = scratch, padded = scratch + chunk * pixels * patch
        var start = 0
        while start < count {
            let n = min(chunk, count - start)
            BLAS.gemm(
                transB: true, m: n * pixels, n: patch, k: filters, a: outputGradient + start * o.size, lda: filters, b: kernel, ldb: filters,
                c: dCol, ldc: patch)
            col2im(dCol, n, inputGradient + start * i.size, accumulate: accumulate, padded: padded)
            start += n
        }
    }

    /// The input gradient at stride 1 as a direct convolution of the (already ReLU-masked) output
    /// gradient with the kernel turned half a turn and its channel axes swapped:
    /// `dIn[y][x][c] = Σ_(ky,kx,f) dOut[y − ky + padTop][x − kx + padLeft][f] · w[ky][kx][c][f]`.
    private func transposedInputGradient(
        _ outputGradient: UnsafePointer<Float>, count: Int, kernel: UnsafePointer<Float>, into inputGradient: UnsafeMutablePointer<Float>,
        accumulate: Bool, scratch: UnsafeMutablePointer<Float>
    ) {
        let (c, f) = (inputShape.channels, filters)
        let turned = scratch, zeroBias = turned + patch * f
        let padded = zeroBias + c, one = padded + transposedHeight * transposedWidth * f
        for ky in 0..<k {
            for kx in 0..<k {
                for ch in 0..<c {
                    let src = kernel + ((ky * k + kx) * c + ch) * f
                    let dst = turned + ((k - 1 - ky) * k + (k - 1 - kx)) * f * c + ch
                    for j in 0..<f { dst[j * c] = src[j] }
                }
            }
        }
        zeroBias.update(repeating: 0, count: c)
        let (h, w) = (inputShape.height, inputShape.width)
        for img in 0..<count {
            let dst = accumulate ? one : inputGradient + img * inputShape.size
            tangle_conv_direct(
                outputGradient + img * outputShape.size, Int64(outputShape.height), Int64(outputShape.width), Int64(f), turned, zeroBias,
                Int64(c), Int64(k), 1, Int64(transposedPadTop), Int64(transposedPadLeft), Int64(h), Int64(w), 0, padded,
                Int64(transposedHeight), Int64(transposedWidth), dst)
            if accumulate { BLAS.axpy(n: inputShape.size, alpha: 1, x: one, y: inputGradient + img * inputShape.size) }
        }
    }
}
