import Foundation

/// Softmax cross-entropy on logits, computed stably (max-subtracted, log-sum-exp).
public enum SoftmaxCrossEntropy {
    /// The mean loss and the number of correct argmax predictions over `count` rows.
    public struct Result: Sendable {
        /// Mean cross-entropy over the rows.
        public var loss: Double
        /// Rows whose argmax equals the label.
        public var correct: Int
    }

    /// Computes the mean cross-entropy of `logits` (`[count, classes]`) against `labels`, and when
    /// `gradient` is given **adds** `scale * (softmax - onehot) / count` into it.
    public static func evaluate(
        logits: UnsafePointer<Float>, labels: UnsafePointer<Int32>, count: Int, classes: Int,
        gradient: UnsafeMutablePointer<Float>? = nil, scale: Float = 1
    ) -> Result {
        var total = 0.0
        var correct = 0
        let inv = scale / Float(max(count, 1))
        for n in 0..<count {
            let z = logits + n * classes
            let y = Int(labels[n])
            var m = z[0], arg = 0
            for j in 1..<classes where z[j] > m {
                m = z[j]
                arg = j
            }
            if arg == y { correct += 1 }
            var s: Float = 0
            for j in 0..<classes { s += expf(z[j] - m) }
            let logSum = m + logf(s)
            total += Double(logSum - z[y])
            if let gradient {
                let g = gradient + n * classes
                for j in 0..<classes {
                    let p = expf(z[j] - logSum)
                    g[j] += inv * (p - (j == y ? 1 : 0))
                }
            }
        }
        return Result(loss: total / Double(max(count, 1)), correct: correct)
    }

    /// The softmax of one row of logits.
    public static func softmax(_ z: UnsafePointer<Float>, classes: Int, into out: UnsafeMutablePointer<Float>) {
        var m = z[0]
        for j in 1..<classes { m = max(m, z[j]) }
        var s: Float = 0
        for j in 0..<classes {
            out[j] = expf(z[j] - m)
            s += out[j]
        }
        for j in 0..<classes { out[j] /= s }
    }
}
