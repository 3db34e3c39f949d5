import TangleNetwork
import TangleTensor

/// White-box L∞ attacks through the model's own backward pass (gradient of the cross-entropy at
/// the true label with respect to the input).
public struct Attack: Sendable, Equatable, CustomStringConvertible {
    /// The method.
    public enum Method: String, Sendable, CaseIterable {
        /// Fast gradient sign (Goodfellow et al. 2015): one step of size `eps`.
        case fgsm
        /// Basic iterative method (Kurakin et al. 2017): `steps` steps of `stepSize`, each projected
        /// onto the `eps`-ball around the original and onto `[0, 1]`.
        case bim
    }

    /// The method.
    public var method: Method
    /// The L∞ radius.
    public var eps: Float
    /// BIM steps (default 10).
    public var steps: Int
    /// BIM step size (default `eps / 10`).
    public var stepSize: Float

    /// Creates an attack.
    public init(method: Method, eps: Float, steps: Int = 10, stepSize: Float? = nil) {
        self.method = method
        self.eps = eps
        self.steps = method == .fgsm ? 1 : steps
        self.stepSize = method == .fgsm ? eps : (stepSize ?? eps / 10)
    }

    /// `fgsm:0.1`, `bim:0.1`.
    public var description: String { "\(method.rawValue):\(eps)" }

    /// Parses `fgsm:0.1` or `bim:0.1`.
    public init?(_ text: String) {
        let parts = text.split(separator: ":")
        guard parts.count == 2, let m = Method(rawValue: String(parts[0])), let e = Float(parts[1]), e >= 0, e.isFinite else {
            return nil
        }
        self.init(method: m, eps: e)
    }

    /// Perturbs `count` images (`[count, inputSize]`, values in `[0, 1]`) in place.
    ///
    /// Runs in batches of the workspace's capacity; the workspace must have an input gradient.
    public func perturb(_ images: UnsafeMutablePointer<Float>, labels: UnsafePointer<Int32>, count: Int, network: Network, workspace: Workspace) {
        let size = network.inputShape.size
        let original = FloatBuffer(count: workspace.capacity * size)
        var start = 0
        while start < count {
            let n = min(workspace.capacity, count - start)
            let x = images + start * size
            original.pointer.update(from: x, count: n * size)
            for _ in 0..<steps {
                workspace.input.pointer.update(from: x, count: n * size)
                network.forward(workspace, count: n, zeroGradients: true)
                _ = SoftmaxCrossEntropy.evaluate(
                    logits: workspace.logits.pointer, labels: labels + start, count: n, classes: network.classCount,
                    gradient: workspace.logitsGradient.pointer)
                network.backward(workspace, count: n, inputGradient: true)
                let g = workspace.gradients[0]!.pointer
                for i in 0..<(n * size) {
                    let s: Float = g[i] > 0 ? 1 : (g[i] < 0 ? -1 : 0)
                    var v = x[i] + stepSize * s
                    let o = original[i]
                    v = min(max(v, o - eps), o + eps)
                    x[i] = min(max(v, 0), 1)
                }
            }
            start += n
        }
    }
}
