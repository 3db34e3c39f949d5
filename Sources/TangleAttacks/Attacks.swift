import TangleNetwork
import TangleTensor

/// White-box attacks through the model's own backward pass (gradient of the cross-entropy at the
/// true label with respect to the input), in pixel units (`[0, 1]`).
///
/// - FGSM and BIM move every pixel by the gradient's sign (L∞);
/// - PGD-L∞ (Madry et al. 2018) is BIM from a random start inside the ball, with larger steps;
/// - PGD-L2 moves along the gradient scaled to unit L2 length per image, and projects onto the
///   L2 ball of radius `eps` around the original (the whole image is one vector).
///
/// Every step is projected onto the ball and onto `[0, 1]`. The random start is seeded per image
/// (from ``seed`` and the image's position), so an image is perturbed the same way in any batch.
public struct Attack: Sendable, Equatable, CustomStringConvertible {
    /// The method.
    public enum Method: String, Sendable, CaseIterable {
        /// Fast gradient sign (Goodfellow et al. 2015): one step of size `eps`.
        case fgsm
        /// Basic iterative method (Kurakin et al. 2017): `steps` sign steps of `stepSize`, each
        /// projected onto the `eps`-ball around the original and onto `[0, 1]`.
        case bim
        /// Projected gradient descent in L∞ (Madry et al. 2018): BIM from a uniform random start in the ball.
        case pgdLinf = "pgd-linf"
        /// Projected gradient descent in L2: normalised-gradient steps from a random start in the L2 ball.
        case pgdL2 = "pgd-l2"

        /// The norm whose ball bounds the perturbation.
        public var norm: Norm { self == .pgdL2 ? .l2 : .linf }
        /// Steps when none are given: FGSM 1, BIM 10, PGD 20.
        public var defaultSteps: Int {
            switch self {
            case .fgsm: 1
            case .bim: 10
            case .pgdLinf, .pgdL2: 20
            }
        }
        /// The step size when none is given: `eps` for FGSM, `eps / steps` for BIM, `2.5 eps / steps` for PGD
        /// (Madry et al.'s choice: the walk can cross the ball and still reach its edge).
        public func defaultStepSize(eps: Float, steps: Int) -> Float {
            switch self {
            case .fgsm: eps
            case .bim: eps / Float(max(steps, 1))
            case .pgdLinf, .pgdL2: 2.5 * eps / Float(max(steps, 1))
            }
        }
    }

    /// The norm of an attack's ball.
    public enum Norm: String, Sendable {
        case linf, l2
    }

    /// The method.
    public var method: Method
    /// The ball's radius: L∞ (per pixel) or L2 (over the whole image), in `[0, 1]` pixel units.
    public var eps: Float
    /// Gradient steps.
    public var steps: Int
    /// The size of each step (L∞: per pixel; L2: the step's length).
    public var stepSize: Float
    /// Start from a random point in the ball instead of the original.
    public var randomStart: Bool
    /// Seeds the random start.
    public var seed: UInt64
    /// The name reports use: the spec as typed when parsed (`pgd-l2:2`), else ``description``.
    public var name: String

    /// Creates an attack; what is not given takes the method's default (FGSM: one step of `eps`; BIM:
    /// 10 steps of `eps / 10`; PGD: 20 steps of `2.5 eps / 20` from a random start).
    public init(method: Method, eps: Float, steps: Int? = nil, stepSize: Float? = nil, randomStart: Bool? = nil, seed: UInt64 = 0) {
        self.method = method
        self.eps = eps
        let n = method == .fgsm ? 1 : max(1, steps ?? method.defaultSteps)
        self.steps = n
        self.stepSize = method == .fgsm ? eps : (stepSize ?? method.defaultStepSize(eps: eps, steps: n))
        self.randomStart = method == .fgsm ? false : (randomStart ?? (method == .pgdLinf || method == .pgdL2))
        self.seed = seed
        name = "\(method.rawValue):\(eps)"
    }

    /// Equal when they perturb alike (the ``name`` is only a label).
    public static func == (a: Attack, b: Attack) -> Bool {
        a.method == b.method && a.eps == b.eps && a.steps == b.steps && a.stepSize == b.stepSize && a.randomStart == b.randomStart
            && a.seed == b.seed
    }

    /// `fgsm:0.1`, `bim:0.1`, `pgd-linf:0.1`, `pgd-l2:2.0`.
    public var description: String { "\(method.rawValue):\(eps)" }

    /// Parses `METHOD:EPS` (`fgsm:0.1`, `bim:0.1`, `pgd-linf:0.1`, `pgd-l2:2`), with the method's defaults.
    public init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":"), let m = Method(rawValue: String(text[..<colon])),
            let e = Float(text[text.index(after: colon)...]), e >= 0, e.isFinite
        else { return nil }
        self.init(method: m, eps: e)
        name = text
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
            if randomStart {
                for i in 0..<n { startRandomly(x + i * size, size: size, image: start + i) }
            }
            for _ in 0..<steps {
                workspace.input.pointer.update(from: x, count: n * size)
                network.forward(workspace, count: n, zeroGradients: true)
                _ = SoftmaxCrossEntropy.evaluate(
                    logits: workspace.logits.pointer, labels: labels + start, count: n, classes: network.classCount,
                    gradient: workspace.logitsGradient.pointer)
                network.backward(workspace, count: n, inputGradient: true)
                let g = workspace.gradients[0]!.pointer
                for i in 0..<n {
                    step(x + i * size, gradient: g + i * size, original: original.pointer + i * size, size: size)
                }
            }
            start += n
        }
    }

    /// One step on one image, then the projection onto the ball and `[0, 1]`.
    func step(_ x: UnsafeMutablePointer<Float>, gradient g: UnsafePointer<Float>, original o: UnsafePointer<Float>, size: Int) {
        switch method.norm {
        case .linf:
            for j in 0..<size {
                let s: Float = g[j] > 0 ? 1 : (g[j] < 0 ? -1 : 0)
                x[j] += stepSize * s
            }
        case .l2:
            var norm: Float = 0
            for j in 0..<size { norm += g[j] * g[j] }
            norm = norm.squareRoot()
            // A zero gradient gives no direction: the image stays where it is for this step.
            if norm > 0, norm.isFinite {
                let scale = stepSize / norm
                for j in 0..<size { x[j] += scale * g[j] }
            }
        }
        project(x, original: o, size: size)
    }

    /// Onto the `eps`-ball around `o`, then `[0, 1]` (clipping only shortens the perturbation, so the
    /// result stays in the ball).
    func project(_ x: UnsafeMutablePointer<Float>, original o: UnsafePointer<Float>, size: Int) {
        switch method.norm {
        case .linf:
            for j in 0..<size { x[j] = min(max(x[j], o[j] - eps), o[j] + eps) }
        case .l2:
            var norm: Float = 0
            for j in 0..<size { norm += (x[j] - o[j]) * (x[j] - o[j]) }
            norm = norm.squareRoot()
            if norm > eps {
                let scale = eps / norm
                for j in 0..<size { x[j] = o[j] + (x[j] - o[j]) * scale }
            }
        }
        for j in 0..<size { x[j] = min(max(x[j], 0), 1) }
    }

    /// A uniform random point of the ball around the image (L∞: every pixel uniform in `±eps`; L2: a
    /// uniform direction at radius `eps · u^(1/size)`), clipped to `[0, 1]`.
    func startRandomly(_ x: UnsafeMutablePointer<Float>, size: Int, image: Int) {
        var rng = SeededGenerator(seed: seed ^ (UInt64(image) &* 0x9E37_79B9_7F4A_7C15) ^ 0xA77AC4)
        switch method.norm {
        case .linf:
            for j in 0..<size { x[j] = min(max(x[j] + rng.nextFloat(in: -eps, eps), 0), 1) }
        case .l2:
            var d = [Float](repeating: 0, count: size)
            var norm: Float = 0
            for j in 0..<size {
                d[j] = rng.nextNormal()
                norm += d[j] * d[j]
            }
            norm = norm.squareRoot()
            guard norm > 0 else { return }
            let radius = eps * Float(pow(Double(rng.nextUnitFloat()), 1 / Double(size)))
            for j in 0..<size { x[j] = min(max(x[j] + d[j] * radius / norm, 0), 1) }
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
