import TangleNetwork
import TangleTensor

/// Central finite differences against the analytic backward pass, for a scalar loss
/// `L = sum_j r_j * out_j` with a fixed random `r` over the network's final output.
struct GradientCheck {
    let network: Network
    let batch: Int
    let input: [Float]
    let projection: [Float]
    let workers: Int

    init(architecture: Architecture, batch: Int = 3, seed: UInt64 = 5, workers: Int = 2) throws {
        network = try Network(architecture: architecture, seed: seed)
        self.batch = batch
        self.workers = workers
        var rng = SeededGenerator(seed: seed &+ 100)
        // Small biases so ReLUs are not all on or all off.
        for e in network.layout.entries where e.name.hasSuffix(".bias") {
            for i in 0..<e.count { network.parameters[e.offset + i] = rng.nextFloat(in: -0.1, 0.1) }
        }
        input = (0..<(batch * architecture.input.size)).map { _ in rng.nextFloat(in: 0, 1) }
        projection = (0..<(batch * network.classCount)).map { _ in rng.nextFloat(in: -1, 1) }
    }

    /// The loss at the current parameters and the given input.
    func loss(_ x: [Float]) -> Double {
        let ws = Workspace(network: network, capacity: batch, trainable: false, workers: workers)
        x.withUnsafeBufferPointer { ws.input.pointer.update(from: $0.baseAddress!, count: x.count) }
        network.forward(ws, count: batch)
        var s = 0.0
        for i in 0..<projection.count { s += Double(projection[i]) * Double(ws.logits[i]) }
        return s
    }

    /// Analytic gradients: (parameters, input).
    func analytic() -> ([Float], [Float]) {
        let ws = Workspace(network: network, capacity: batch, trainable: true, inputGradient: true, workers: workers)
        input.withUnsafeBufferPointer { ws.input.pointer.update(from: $0.baseAddress!, count: input.count) }
        network.forward(ws, count: batch, zeroGradients: true)
        for i in 0..<projection.count { ws.logitsGradient[i] = projection[i] }
        network.backward(ws, count: batch, inputGradient: true)
        return (ws.parameterGradient.array, Array(ws.gradients[0]!.array.prefix(input.count)))
    }

    /// Step sizes tried for each point: large steps may straddle a ReLU or max-pool kink, small
    /// ones drown in float32 rounding.
    static let steps: [Float] = [1e-2, 3e-3, 1e-3, 3e-4]

    /// Compares central differences with the analytic gradient at sampled parameters of every
    /// tensor and sampled inputs.
    ///
    /// A point where the differences at the smaller steps disagree with each other sits next to
    /// a kink (a max-pool near-tie or a ReLU at zero) and is skipped; everywhere else the best
    /// step's relative error counts. Returns the worst error, and how many points were checked
    /// and skipped.
    /// - Parameter analyticScale: multiplies the analytic gradient (1 in real checks; the
    ///   self-test uses another value to prove the check can fail).
    func worstError(samplesPerTensor: Int = 12, analyticScale: Float = 1) -> (error: Double, checked: Int, skipped: Int) {
        let (gp0, gx0) = analytic()
        let gp = gp0.map { $0 * analyticScale }, gx = gx0.map { $0 * analyticScale }
        var worst = 0.0, checked = 0, skipped = 0
        var rng = SeededGenerator(seed: 99)
        func judge(_ numeric: [Double], _ exact: Double) {
            let fine = numeric.dropFirst()
            let scale = max(1e-2, fine.map { abs($0) }.max()!)
            if (fine.max()! - fine.min()!) / scale > 2e-2 {
                skipped += 1
                return
            }
            worst = max(worst, numeric.map { abs($0 - exact) / max(1e-2, abs($0) + abs(exact)) }.min()!)
            checked += 1
        }
        for e in network.layout.entries {
            for _ in 0..<min(samplesPerTensor, e.count) {
                let i = e.offset + Int(rng.next() % UInt64(e.count))
                let saved = network.parameters[i]
                judge(
                    GradientCheck.steps.map { eps in
                        network.parameters[i] = saved + eps
                        let up = loss(input)
                        network.parameters[i] = saved - eps
                        let down = loss(input)
                        network.parameters[i] = saved
                        return (up - down) / Double(2 * eps)
                    }, Double(gp[i]))
            }
        }
        for _ in 0..<min(3 * samplesPerTensor, input.count) {
            let i = Int(rng.next() % UInt64(input.count))
            judge(
                GradientCheck.steps.map { eps in
                    var x = input
                    x[i] = input[i] + eps
                    let up = loss(x)
                    x[i] = input[i] - eps
                    let down = loss(x)
                    return (up - down) / Double(2 * eps)
                }, Double(gx[i]))
        }
        return (worst, checked, skipped)
    }
}
