import Foundation
import TangleBLASCore
import TangleData
import TangleNetwork
import TangleTensor
import TangleTraining

/// The training-throughput benchmark behind `tangle bench train`.
///
/// It trains the reference architecture at batch 256 on Fashion-MNIST (random bytes when the
/// data set is not installed), discards warm-up steps, times windows of steps, and reports the
/// median window rate beside the machine's SGEMM rate measured in the same process.
public struct TrainBenchmark {
    /// The benchmark's result, printed as JSON.
    public struct Result: Codable, Sendable {
        /// Median images/s over the timed windows.
        public var imagesPerSecond: Double
        /// Each window's images/s.
        public var windowImagesPerSecond: [Double]
        /// Images per step.
        public var batchSize: Int
        /// Steps per window.
        public var stepsPerWindow: Int
        /// Warm-up steps discarded.
        public var warmupSteps: Int
        /// Floating-point operations per image for one training step.
        public var flopsPerImage: Double
        /// Achieved GFLOP/s (flops per image x median images/s).
        public var achievedGflops: Double
        /// The machine's SGEMM GFLOP/s (2048^3, all cores, median of 5), measured in this run.
        public var machineSgemmGflops: Double
        /// Achieved / machine.
        public var fractionOfSgemm: Double
        /// Peak resident memory of the process, MiB.
        public var peakRssMib: Double
        /// Parallel workers.
        public var workers: Int
        /// `"fashion-mnist"` or `"random"`.
        public var data: String
        /// OpenBLAS build.
        public var blas: String
        /// Which OpenBLAS kernels ran and who chose them.
        public var blasKernel: BLASKernel
        /// The auxiliary terms trained (the objective beyond cross-entropy).
        public var objective: [ObjectiveTerm]
        /// The network's input, `HxWxC`.
        public var input: String
    }

    /// Timed windows.
    public var windows = 8
    /// Steps per window.
    public var stepsPerWindow = 20
    /// Warm-up steps.
    public var warmupSteps = 10
    /// Images per step.
    public var batchSize = 256
    /// The network's input: 28x28x1 trains on Fashion-MNIST (random images when it is missing);
    /// any other shape on random images of that shape, as the reference's `--input` does.
    public var input = Shape3(height: 28, width: 28, channels: 1)

    /// Creates a benchmark with the default sizes.
    public init() {}

    /// Runs it.
    /// - Parameter objective: builds the auxiliary terms for the network (none: cross-entropy only).
    public func run(
        dataDirectory: String = FashionMNIST.defaultDirectory,
        objective: (Network) throws -> [any AuxiliaryLoss] = { _ in [] }
    ) throws -> Result {
        let images: LabelledImages
        let source: String
        if input == Shape3(height: 28, width: 28, channels: 1), let train = try? FashionMNIST(directory: dataDirectory).training() {
            images = train
            source = "fashion-mnist"
        } else {
            var rng = SeededGenerator(seed: 3)
            let n = 4096
            let pixels = (0..<(n * input.size)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            let labels = (0..<n).map { _ in Int32(rng.next() % 10) }
            images = try LabelledImages(
                rows: input.height, columns: input.width, channels: input.channels, pixels: pixels, labels: labels, classNames: FashionMNIST.classNames)
            source = "random"
        }
        let sgemm = MachineSGEMM.gflops()
        let network = try Network(architecture: .reference(input: input), seed: 0)
        var options = TrainingOptions()
        options.batchSize = batchSize
        let set = try TrainingSet(holdingOutLast: 0, of: images)
        let terms = try objective(network)
        let trainer = try Trainer(
            network: network, options: options, data: set, test: nil, folder: nil,
            card: BenchmarkCard.make(network: network), auxiliaryLosses: terms)
        var rng = SeededGenerator(seed: 7)
        func batch() -> ArraySlice<Int> {
            ArraySlice((0..<batchSize).map { _ in Int(rng.next() % UInt64(images.count)) })
        }
        for _ in 0..<warmupSteps { _ = trainer.step(batch()) }
        var rates: [Double] = []
        for _ in 0..<windows {
            let batches = (0..<stepsPerWindow).map { _ in batch() }
            let t0 = DispatchTime.now().uptimeNanoseconds
            for b in batches { _ = trainer.step(b) }
            let dt = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            rates.append(Double(stepsPerWindow * batchSize) / dt)
        }
        let median = Statistics.median(rates)
        let flops = network.flopsPerImage.trainingStep
        return Result(
            imagesPerSecond: median, windowImagesPerSecond: rates, batchSize: batchSize, stepsPerWindow: stepsPerWindow,
            warmupSteps: warmupSteps, flopsPerImage: flops, achievedGflops: flops * median / 1e9,
            machineSgemmGflops: sgemm, fractionOfSgemm: flops * median / 1e9 / sgemm,
            peakRssMib: Statistics.peakRSSMiB(), workers: Parallel.workerCount, data: source, blas: BLAS.configuration, blasKernel: BLAS.kernel,
            objective: terms.map(\.record), input: input.description)
    }
}
