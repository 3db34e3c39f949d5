import TangleData
import TangleModelStore
import TangleNetwork

/// A model card for benchmark runs, which write no model folder.
enum BenchmarkCard {
    static func make(network: Network) -> ModelCard {
        ModelCard(
            name: "benchmark", toolVersion: "bench", created: "", architecture: network.architecture,
            representations: [], preprocessing: .fashionMNIST, classNames: FashionMNIST.classNames,
            data: DataSource(kind: "benchmark", directory: "", files: [], calibration: CalibrationSplit(rule: "none", count: 0)),
            hyperparameters: Hyperparameters(batchSize: 256, learningRate: 1e-3, epochs: 1, seed: 0))
    }
}
