import CLayerPasses

/// A named parameter tensor of a layer, before it is placed in the network's flat buffer.
public struct ParameterSpec: Sendable, Equatable {
    /// The full name, `<layer>.kernel` or `<layer>.bias`.
    public var name: String
    /// The tensor's shape (conv kernels `[kh, kw, in, out]`, dense kernels `[in, out]`).
    public var shape: [Int]
    /// Fan-in and fan-out for initialisation; `nil` for biases (zero-initialised).
    public var fans: (in: Int, out: Int)?

    /// The number of values.
    public var count: Int { shape.reduce(1, *) }

    public static func == (a: ParameterSpec, b: ParameterSpec) -> Bool {
        a.name == b.name && a.shape == b.shape && a.fans?.in == b.fans?.in && a.fans?.out == b.fans?.out
    }
}

/// One layer of the numeric core: a pair of plain functions over contiguous NHWC batches.
///
/// `forward` reads `count` input images and writes `count` output images. `backward` reads the
/// gradient of the loss with respect to the output (it may overwrite it, e.g. with the ReLU mask
/// applied), **adds** the parameter gradients into `parameterGradients`, and writes the input
/// gradient into `inputGradient` when one is asked for: added to what is there when
/// `accumulate` is true (a loss on that hidden representation already put its gradient there),
/// otherwise overwriting it (which saves clearing the buffer first).
///
/// Parameter pointers are the network's flat buffers; each layer knows its own offset.
public protocol Layer: Sendable {
    /// The layer's description.
    var spec: LayerSpec { get }
    /// The shape of one input image.
    var inputShape: Shape3 { get }
    /// The shape of one output image.
    var outputShape: Shape3 { get }
    /// The layer's parameters, in the order they are stored.
    var parameterSpecs: [ParameterSpec] { get }
    /// Where this layer's parameters start in the network's flat parameter buffer.
    var parameterOffset: Int { get }
    /// Scratch floats one worker needs for this layer (forward and backward).
    var scratchCount: Int { get }
    /// Multiply-adds times two for one image: forward, and backward (with input gradient).
    var flopsPerImage: (forward: Double, backward: Double) { get }

    /// Computes the output for `count` images.
    func forward(
        input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, count: Int,
        parameters: UnsafePointer<Float>, scratch: UnsafeMutablePointer<Float>)

    /// Back-propagates through `count` images (see the protocol's description for what it adds).
    func backward(
        input: UnsafePointer<Float>, output: UnsafePointer<Float>, outputGradient: UnsafeMutablePointer<Float>,
        inputGradient: UnsafeMutablePointer<Float>?, accumulate: Bool, count: Int,
        parameters: UnsafePointer<Float>, parameterGradients: UnsafeMutablePointer<Float>,
        scratch: UnsafeMutablePointer<Float>)
}

extension Layer {
    /// The total number of parameters.
    public var parameterCount: Int { parameterSpecs.reduce(0) { $0 + $1.count } }
}

/// Adds `bias` to every row of a `rows x width` matrix and applies the activation, in place.
@inline(__always)
func addBiasAndActivate(
    _ out: UnsafeMutablePointer<Float>, rows: Int, width: Int, bias: UnsafePointer<Float>,
    activation: LayerSpec.Activation
) {
    switch activation {
    case .relu:
        for r in 0..<rows {
            let row = out + r * width
            for j in 0..<width {
                let v = row[j] + bias[j]
                row[j] = v > 0 ? v : 0
            }
        }
    case .linear:
        for r in 0..<rows {
            let row = out + r * width
            for j in 0..<width { row[j] += bias[j] }
        }
    }
}

/// Applies the activation's derivative to the gradient (ReLU: zero where the output is zero) and
/// adds the column sums of the result into `biasGradient`.
@inline(__always)
func maskAndSumBias(
    gradient: UnsafeMutablePointer<Float>, output: UnsafePointer<Float>, rows: Int, width: Int,
    biasGradient: UnsafeMutablePointer<Float>, activation: LayerSpec.Activation
) {
    for r in 0..<rows {
        let g = gradient + r * width
        let o = output + r * width
        if activation == .relu {
            for j in 0..<width {
                let gj = g[j], oj = o[j]
                g[j] = oj > 0 ? gj : 0
            }
        }
        for j in 0..<width { biasGradient[j] += g[j] }
    }
}

/// `x = max(x, 0)` over `count` values, in place (`tangle_relu`, CLayerPasses).
@inline(__always)
func relu(_ x: UnsafeMutablePointer<Float>, count: Int) {
    tangle_relu(x, Int64(count))
}

/// Zeroes the gradient wherever the ReLU output is zero (`tangle_relu_mask`, CLayerPasses).
@inline(__always)
func reluMask(_ g: UnsafeMutablePointer<Float>, output: UnsafePointer<Float>, count: Int) {
    tangle_relu_mask(g, output, Int64(count))
}
