import TangleDkNN
import TangleProgress
import TangleReport

/// Scores images through a detector in batches of 500, advancing one progress line across calls.
final class ProgressScoring {
    private let detector: Detector
    private let progress: Progress
    private let size: Int
    /// Images scored so far.
    private(set) var done = 0

    init(detector: Detector, label: String, total: Int) {
        self.detector = detector
        size = detector.network.inputShape.size
        progress = Progress(label: label, total: total)
    }

    /// Scores `count` images (`[count, inputSize]`).
    func score(_ x: UnsafePointer<Float>, _ count: Int) -> [InputScores] {
        var out: [InputScores] = []
        var start = 0
        while start < count {
            let m = min(500, count - start)
            out += detector.scores(x + start * size, count: m)
            start += m
            advance(m)
        }
        return out
    }

    /// Counts images scored elsewhere.
    func advance(_ n: Int) {
        done += n
        progress.update(done: done)
    }

    /// Ends the progress line.
    func finish() { progress.finish("scored \(done) images") }
}
