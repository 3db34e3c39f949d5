import CDirectConv
import CLayerPasses

/// Max-pooling over non-overlapping `size x size` windows (stride `size`, no padding; a ragged
/// edge is dropped, as with "valid" padding).
///
/// Backward routes each output gradient to the first maximum of its window.
public struct MaxPoolLayer: Layer {
    public let spec: LayerSpec
    public let inputShape: Shape3
    public let outputShape: Shape3
    public let parameterOffset: Int
    public var parameterSpecs: [ParameterSpec] { [] }
    public var scratchCount: Int { 0 }
    let size: Int

    /// Creates the layer.
    public init(spec: LayerSpec, input: Shape3, parameterOffset: Int) throws {
        let size = spec.size ?? 2
        guard size >= 1, input.height >= size, input.width >= size else {
            throw NetworkError.invalidLayer(spec.name, "pool size \(size) does not fit input \(input)")
        }
        self.spec = spec
        self.size = size
        inputShape = input
        outputShape = Shape3(height: input.height / size, width: input.width / size, channels: input.channels)
        self.parameterOffset = parameterOffset
    }

    public var flopsPerImage: (forward: Double, backward: Double) { (0, 0) }

    public func forward(
        input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, count: Int,
        parameters: UnsafePointer<Float>, scratch: UnsafeMutablePointer<Float>
    ) {
        let (h, w, c) = (inputShape.height, inputShape.width, inputShape.channels)
        if size == 2 {
            // `tangle_maxpool2` (CDirectConv): max(max(a, b), max(c, d)) with max(x, y) = x >= y ? x : y.
            for n in 0..<count {
                tangle_maxpool2(input + n * inputShape.size, Int64(h), Int64(w), Int64(c), output + n * outputShape.size)
            }
            return
        }
        let (oh, ow) = (outputShape.height, outputShape.width)
        for n in 0..<count {
            let src = input + n * inputShape.size
            let dst = output + n * outputShape.size
            for oy in 0..<oh {
                for ox in 0..<ow {
                    let o = dst + (oy * ow + ox) * c
                    let first = src + ((oy * size) * w + ox * size) * c
                    for ch in 0..<c { o[ch] = first[ch] }
                    for dy in 0..<size {
                        for dx in 0..<size {
                            let p = src + ((oy * size + dy) * w + ox * size + dx) * c
                            for ch in 0..<c { o[ch] = p[ch] > o[ch] ? p[ch] : o[ch] }
                        }
                    }
                }
            }
        }
    }

    public func backward(
        input: UnsafePointer<Float>, output: UnsafePointer<Float>, outputGradient: UnsafeMutablePointer<Float>,
        inputGradient: UnsafeMutablePointer<Float>?, accumulate: Bool, count: Int,
        parameters: UnsafePointer<Float>, parameterGradients: UnsafeMutablePointer<Float>,
        scratch: UnsafeMutablePointer<Float>
    ) {
        guard let inputGradient else { return }
        let (w, c) = (inputShape.width, inputShape.channels)
        // The 2x2 path writes every input position of an evenly divided image; anything else
        // (other sizes, ragged edges) adds into a cleared buffer.
        let covers = size == 2 && inputShape.height % 2 == 0 && w % 2 == 0
        if !accumulate && !covers { inputGradient.update(repeating: 0, count: count * inputShape.size) }
        if covers {
            // `tangle_maxpool2_backward` (CLayerPasses): to the first maximum in the order (0,0), (0,1), (1,0), (1,1).
            for n in 0..<count {
                tangle_maxpool2_backward(
                    input + n * inputShape.size, output + n * outputShape.size, outputGradient + n * outputShape.size,
                    Int64(inputShape.height), Int64(w), Int64(c), inputGradient + n * inputShape.size, accumulate ? 1 : 0)
            }
            return
        }
        let (oh, ow) = (outputShape.height, outputShape.width)
        for n in 0..<count {
            let src = input + n * inputShape.size
            let dSrc = inputGradient + n * inputShape.size
            let out = output + n * outputShape.size
            let dOut = outputGradient + n * outputShape.size
            for oy in 0..<oh {
                for ox in 0..<ow {
                    let base = (oy * ow + ox) * c
                    let m = out + base, g = dOut + base
                    for ch in 0..<c {
                        var found = false
                        for dy in 0..<size where !found {
                            for dx in 0..<size where !found {
                                let idx = ((oy * size + dy) * w + ox * size + dx) * c + ch
                                if src[idx] == m[ch] {
                                    dSrc[idx] += g[ch]
                                    found = true
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
