import Foundation
import Testing
import TangleNetwork
import TangleTensor

@Suite struct LossAndOptimizerTests {
    @Test func crossEntropyGradientMatchesFiniteDifferences() {
        var rng = SeededGenerator(seed: 4)
        let (n, c) = (4, 5)
        var logits = (0..<(n * c)).map { _ in rng.nextFloat(in: -3, 3) }
        let labels: [Int32] = [0, 3, 4, 1]
        func loss(_ z: [Float]) -> Double {
            z.withUnsafeBufferPointer { zp in
                labels.withUnsafeBufferPointer {
                    SoftmaxCrossEntropy.evaluate(logits: zp.baseAddress!, labels: $0.baseAddress!, count: n, classes: c).loss
                }
            }
        }
        var grad = [Float](repeating: 0, count: n * c)
        _ = logits.withUnsafeBufferPointer { zp in
            labels.withUnsafeBufferPointer { lp in
                grad.withUnsafeMutableBufferPointer {
                    SoftmaxCrossEntropy.evaluate(
                        logits: zp.baseAddress!, labels: lp.baseAddress!, count: n, classes: c, gradient: $0.baseAddress!)
                }
            }
        }
        for i in 0..<(n * c) {
            let saved = logits[i]
            logits[i] = saved + 1e-2
            let up = loss(logits)
            logits[i] = saved - 1e-2
            let down = loss(logits)
            logits[i] = saved
            #expect(abs((up - down) / 2e-2 - Double(grad[i])) < 1e-3)
        }
    }

    @Test func crossEntropyIsStableForHugeLogits() {
        let logits: [Float] = [1e4, -1e4, 0, 3e4]
        let labels: [Int32] = [1, 0]
        let r = logits.withUnsafeBufferPointer { z in
            labels.withUnsafeBufferPointer {
                SoftmaxCrossEntropy.evaluate(logits: z.baseAddress!, labels: $0.baseAddress!, count: 2, classes: 2)
            }
        }
        #expect(r.loss.isFinite)
        #expect(abs(r.loss - (2e4 + 3e4) / 2) < 1)
        #expect(r.correct == 0)
    }

    @Test func adamFollowsTheBiasCorrectedUpdate() {
        let params = FloatBuffer([1, -2])
        let grads = FloatBuffer([0.5, -4])
        let adam = Adam(count: 2, learningRate: 0.1)
        adam.update(parameters: params, gradient: grads)
        // First step: m̂ = g, v̂ = g², so the step is lr * g / (|g| + eps) = ±lr.
        #expect(abs(params[0] - 0.9) < 1e-5)
        #expect(abs(params[1] - (-1.9)) < 1e-5)
        adam.update(parameters: params, gradient: grads)
        // Second step with the same gradient: again ±lr.
        #expect(abs(params[0] - 0.8) < 1e-5)
        #expect(adam.step == 2)
    }
}
