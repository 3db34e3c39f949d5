import CLayerPasses
import TangleTensor

/// Adam with bias correction (Kingma & Ba 2015) over a flat parameter buffer.
///
/// `m ← β1 m + (1−β1) g`, `v ← β2 v + (1−β2) g²`, `θ ← θ − lr · m̂ / (√v̂ + ε)` with
/// `m̂ = m / (1−β1^t)`, `v̂ = v / (1−β2^t)`.
public final class Adam: @unchecked Sendable {
    /// Learning rate.
    public var learningRate: Float
    /// First-moment decay.
    public let beta1: Float
    /// Second-moment decay.
    public let beta2: Float
    /// Added to the denominator (1e-7, as Keras).
    public let epsilon: Float
    /// Steps taken.
    public private(set) var step = 0
    private let m: FloatBuffer
    private let v: FloatBuffer

    /// Creates the optimiser for `count` parameters.
    public init(count: Int, learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-7) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        m = FloatBuffer(count: count)
        v = FloatBuffer(count: count)
    }

    /// The optimiser's state: steps taken and both moment vectors (`tangle train --resume`).
    public var state: (step: Int, m: [Float], v: [Float]) {
        (step, Array(UnsafeBufferPointer(start: m.pointer, count: m.count)), Array(UnsafeBufferPointer(start: v.pointer, count: v.count)))
    }

    /// Continues from a saved ``state``; `false` (and nothing changed) when the moments do not fit.
    public func restore(step: Int, m saved: [Float], v savedV: [Float]) -> Bool {
        guard step >= 0, saved.count == m.count, savedV.count == v.count else { return false }
        self.step = step
        saved.withUnsafeBufferPointer { m.pointer.update(from: $0.baseAddress!, count: m.count) }
        savedV.withUnsafeBufferPointer { v.pointer.update(from: $0.baseAddress!, count: v.count) }
        return true
    }

    /// Applies one update to `parameters` from `gradient` (both `count` long), split over workers.
    public func update(parameters: FloatBuffer, gradient: FloatBuffer) {
        step += 1
        let t = Float(step)
        let c1 = 1 - powf(beta1, t), c2 = 1 - powf(beta2, t)
        let lr = learningRate, b1 = beta1, b2 = beta2, eps = epsilon
        let p = parameters.shared, g = gradient.shared, ms = m.shared, vs = v.shared
        let ranges = Parallel.split(parameters.count, into: Parallel.workerCount)
        Parallel.run(ranges.count) { w in
            let r = ranges[w]
            guard !r.isEmpty else { return }
            // m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g*g; p -= lr*(m/c1) / (sqrt(v/c2) + eps), no fused multiply-add.
            tangle_adam_update(
                p.base + r.lowerBound, g.base + r.lowerBound, ms.base + r.lowerBound, vs.base + r.lowerBound, Int64(r.count), lr, b1, b2,
                eps, c1, c2)
        }
    }
}

#if canImport(Glibc)
import Glibc
#else
import Foundation
#endif
