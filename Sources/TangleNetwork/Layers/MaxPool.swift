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
        let (w, c) = (inputShape.width, inputShape.channels)
        let (oh, ow) = (outputShape.height, outputShape.width)
        for n in 0..<count {
            let src = input + n * inputShape.size
            let dst = output + n * outputShape.size
            for oy in 0..<oh {
                for ox in 0..<ow {
                    let o = dst + (oy * ow + ox) * c
                    let first = src + ((oy * size) * w + ox * size) * c
                    if size == 2 {
                        let b = first + c, d = first + w * c, e = d + c
                        var ch = 0
                        // Eight channels at a time, with the same comparisons as the scalar loop.
                        while ch + 8 <= c {
                            let v0 = UnsafeRawPointer(first + ch).loadUnaligned(as: SIMD8<Float>.self)
                            let v1 = UnsafeRawPointer(b + ch).loadUnaligned(as: SIMD8<Float>.self)
                            let v2 = UnsafeRawPointer(d + ch).loadUnaligned(as: SIMD8<Float>.self)
                            let v3 = UnsafeRawPointer(e + ch).loadUnaligned(as: SIMD8<Float>.self)
                            let m1 = v0.replacing(with: v1, where: .!(v0 .>= v1))
                            let m2 = v2.replacing(with: v3, where: .!(v2 .>= v3))
                            UnsafeMutableRawPointer(o + ch).storeBytes(of: m1.replacing(with: m2, where: .!(m1 .>= m2)), as: SIMD8<Float>.self)
                            ch += 8
                        }
                        while ch < c {
                            let m1 = first[ch] >= b[ch] ? first[ch] : b[ch]
                            let m2 = d[ch] >= e[ch] ? d[ch] : e[ch]
                            o[ch] = m1 >= m2 ? m1 : m2
                            ch += 1
                        }
                        continue
                    }
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
        let add = accumulate || !covers
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
                    let a0 = ((oy * size) * w + ox * size) * c
                    if size == 2 {
                        // Route to the first maximum in the order (0,0), (0,1), (1,0), (1,1).
                        let a = src + a0, b = a + c, d = a + w * c
                        let da = dSrc + a0, db = da + c, dd = da + w * c, de = dd + c
                        for ch in 0..<c {
                            // Branch-free (selects vectorise): each flag is 1 for the first match only.
                            let mv = m[ch], gv = g[ch]
                            let fa: Float = a[ch] == mv ? 1 : 0
                            let fb: Float = b[ch] == mv ? 1 - fa : 0
                            let fd: Float = d[ch] == mv ? 1 - fa - fb : 0
                            let fe: Float = 1 - fa - fb - fd
                            if add {
                                da[ch] += fa * gv
                                db[ch] += fb * gv
                                dd[ch] += fd * gv
                                de[ch] += fe * gv
                            } else {
                                da[ch] = fa * gv
                                db[ch] = fb * gv
                                dd[ch] = fd * gv
                                de[ch] = fe * gv
                            }
                        }
                        continue
                    }
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
