import Foundation
import TangleBLASCore
import TangleData
import TangleDetector
import TangleEvaluation
import TangleTensor
import TangleVerdict

/// `tangle bench verdict`: the full verdict (forward pass, every layer's neighbour search, every
/// score, the rule) on a batch of test images and one image at a time, the index's size, and
/// the time to build it from scratch.
public struct VerdictBenchmark {
    /// The figures, as `--json` prints them.
    public struct Figures: Codable, Sendable {
        /// Images per second on a batch (median of the runs).
        public var batchImagesPerSecond: Double
        /// Seconds per batch run, each run.
        public var batchSeconds: [Double]
        /// Images per batch.
        public var batchSize: Int
        /// Median latency of one image judged alone, milliseconds.
        public var latencyMsMedian: Double
        /// 90th percentile of the same.
        public var latencyMsP90: Double
        /// The index's bytes.
        public var indexBytes: Int
        /// Seconds to build the index from scratch (0 when `--reuse-index` skipped the build).
        public var indexBuildSeconds: Double
        /// OpenBLAS build.
        public var blas: String = BLAS.configuration
        /// Which OpenBLAS kernels ran and who chose them.
        public var blasKernel: BLASKernel = BLAS.kernel
    }

    /// Runs it on a calibrated model.
    /// - Parameters:
    ///   - freshCache: a cache folder to build the index in (a temporary one measures the build); nil reuses the default cache.
    public static func run(model: String, data: String?, freshCache: String?, batch: Int = 1000, runs: Int = 5, singles: Int = 200) throws -> Figures {
        let setup = try DetectorSetup(model: model, data: data, cache: freshCache, requireCalibration: true)
        guard let rule = setup.rule else { throw CalibrationError.missing(modelFolder: model) }
        // Fashion-MNIST's test set for its models; any other model's own calibration split.
        let test: LabelledImages
        if setup.card.data.kind == "fashion-mnist" {
            test = try FashionMNIST(directory: setup.dataDirectory).test()
        } else {
            let set = try setup.training()
            test = set.images.subset(set.calibrationIndices)
        }
        let size = setup.network.inputShape.size
        let n = min(batch, test.count)
        let x = FloatBuffer(count: n * size)
        test.copyImages(0..<n, into: x.pointer)
        func judge(_ p: UnsafePointer<Float>, _ count: Int) -> Int {
            let s = setup.detector.scores(p, count: count)
            return s.map { rule.judge($0) }.filter { $0.verdict != .inDistribution }.count
        }
        _ = judge(x.pointer, n)  // warm-up
        var seconds: [Double] = []
        for _ in 0..<runs {
            let t0 = DispatchTime.now().uptimeNanoseconds
            _ = judge(x.pointer, n)
            seconds.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
        }
        let one = FloatBuffer(count: size)
        var latencies: [Double] = []
        for i in 0..<(singles > 0 ? min(singles + 5, test.count) : 0) {
            test.copyImages([(1000 + i) % test.count], into: one.pointer)
            let t0 = DispatchTime.now().uptimeNanoseconds
            _ = judge(one.pointer, 1)
            if i >= 5 { latencies.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6) }
        }
        latencies.sort()
        if latencies.isEmpty { latencies = [0] }
        let median = seconds.sorted()[seconds.count / 2]
        return Figures(
            batchImagesPerSecond: Double(n) / median, batchSeconds: seconds, batchSize: n, latencyMsMedian: latencies[latencies.count / 2],
            latencyMsP90: latencies[Int(Double(latencies.count) * 0.9)], indexBytes: setup.detector.index.bytes,
            indexBuildSeconds: setup.indexBuild.built ? setup.indexBuild.seconds : 0)
    }
}
