import CDirectConv
import TangleTensor

/// A layer's forward pass as judging runs it, in place of ``Layer/forward(input:output:count:parameters:scratch:)``.
public protocol JudgingKernel: Sendable {
    /// Scratch bytes one worker needs.
    var scratchBytes: Int { get }
    /// Computes the output for `count` images.
    func forward(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, count: Int, scratch: UnsafeMutableRawPointer)
    /// Whether it works on one image at a time, so judging may run a few images through every
    /// such leading layer before the next few (their activations stay in cache).
    var runsImageByImage: Bool { get }
}

extension JudgingKernel {
    /// Image by image, unless the kernel says otherwise.
    public var runsImageByImage: Bool { true }
}

/// A convolution with a small patch computed directly in float32 (`tangle_conv_direct`: four
/// output pixels by 32 filters per register tile), for judging: a first layer over one grey
/// channel has a 25-value patch, which makes im2col and GEMM mostly overhead.
public struct DirectConvolution: JudgingKernel, @unchecked Sendable {
    /// The layer it stands in for.
    public let layer: Conv2DLayer
    private let weights: [Float]
    private let bias: [Float]

    /// Copies `layer`'s kernel and bias from the network's flat `parameters`.
    public init(layer: Conv2DLayer, parameters: UnsafePointer<Float>) {
        self.layer = layer
        let base = parameters + layer.parameterOffset
        weights = Array(UnsafeBufferPointer(start: base, count: layer.patch * layer.filters))
        bias = Array(UnsafeBufferPointer(start: base + layer.patch * layer.filters, count: layer.filters))
    }

    /// The zero-bordered copy of one image.
    public var scratchBytes: Int { layer.paddedSize * 4 + 64 }

    /// Convolves `count` images, one at a time.
    public func forward(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, count: Int, scratch: UnsafeMutableRawPointer) {
        let l = layer
        let (i, o) = (l.inputShape, l.outputShape)
        let padded = scratch.assumingMemoryBound(to: Float.self)  // the workspace's float scratch
        weights.withUnsafeBufferPointer { w in
            bias.withUnsafeBufferPointer { b in
                for img in 0..<count {
                    tangle_conv_direct(
                        input + img * i.size, Int64(i.height), Int64(i.width), Int64(i.channels), w.baseAddress!, b.baseAddress!,
                        Int64(l.filters), Int64(l.k), Int64(l.stride), Int64(l.padTop), Int64(l.padLeft), Int64(o.height), Int64(o.width),
                        l.activation == .relu ? 1 : 0, padded, Int64(l.paddedHeight), Int64(l.paddedWidth), output + img * o.size)
                }
            }
        }
    }
}

/// 2x2 max-pooling for judging (`tangle_maxpool2`, sixteen channels at a time): the same values as
/// ``MaxPoolLayer``, which the float32 path computes eight channels at a time.
public struct DirectMaxPool: JudgingKernel {
    /// The layer it stands in for (its window must be 2).
    public let layer: MaxPoolLayer

    /// Wraps a 2x2 max-pooling layer.
    public init(layer: MaxPoolLayer) {
        precondition(layer.size == 2, "only 2x2 windows")
        self.layer = layer
    }

    /// None.
    public var scratchBytes: Int { 0 }

    /// Pools `count` images, one at a time.
    public func forward(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, count: Int, scratch: UnsafeMutableRawPointer) {
        let (i, o) = (layer.inputShape, layer.outputShape)
        for img in 0..<count {
            tangle_maxpool2(input + img * i.size, Int64(i.height), Int64(i.width), Int64(i.channels), output + img * o.size)
        }
    }
}
