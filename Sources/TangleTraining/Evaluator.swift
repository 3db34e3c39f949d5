import TangleData
import TangleNetwork
import TangleTensor

/// Classification quality of a network on a labelled set.
public struct ClassificationReport: Sendable, Codable, Equatable {
    /// Images evaluated.
    public var count: Int
    /// Correct top-1 predictions / count.
    public var accuracy: Double
    /// Mean cross-entropy.
    public var loss: Double
    /// `confusion[true][predicted]` counts.
    public var confusion: [[Int]]
}

/// Runs a network over labelled images in batches and reports accuracy, loss and confusion.
public struct Evaluator {
    /// Images per forward batch.
    public let batchSize: Int
    private let network: Network
    private let workspace: Workspace

    /// Prepares buffers for `network`.
    public init(network: Network, batchSize: Int = 500) {
        self.network = network
        self.batchSize = batchSize
        workspace = Workspace(network: network, capacity: batchSize, trainable: false)
    }

    /// Evaluates the images at `indices` (all when `nil`).
    public func evaluate(_ data: LabelledImages, indices: [Int]? = nil) -> ClassificationReport {
        let idx = indices ?? Array(0..<data.count)
        let classes = network.classCount
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: classes), count: classes)
        var lossSum = 0.0, correct = 0
        var start = 0
        while start < idx.count {
            let n = min(batchSize, idx.count - start)
            let batch = idx[start..<(start + n)]
            data.copyImages(batch, into: workspace.input.pointer)
            network.forward(workspace, count: n)
            let labels = batch.map { data.labels[$0] }
            let r = labels.withUnsafeBufferPointer {
                SoftmaxCrossEntropy.evaluate(logits: workspace.logits.pointer, labels: $0.baseAddress!, count: n, classes: classes)
            }
            lossSum += r.loss * Double(n)
            correct += r.correct
            for (row, y) in labels.enumerated() {
                confusion[Int(y)][argmax(workspace.logits.pointer + row * classes, classes)] += 1
            }
            start += n
        }
        let total = max(idx.count, 1)
        return ClassificationReport(
            count: idx.count, accuracy: Double(correct) / Double(total), loss: lossSum / Double(total), confusion: confusion)
    }
}

/// The index of the largest of `n` values (the first on ties).
@inline(__always)
public func argmax(_ p: UnsafePointer<Float>, _ n: Int) -> Int {
    var best = 0
    for j in 1..<n where p[j] > p[best] { best = j }
    return best
}
