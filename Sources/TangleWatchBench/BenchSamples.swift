import Foundation
import TangleData
import TangleDataSource
import TangleImage
import TangleModelStore

/// The in-distribution images the benchmarks feed a model, whatever it was trained on:
/// Fashion-MNIST's test set for a Fashion-MNIST model, any other model's own held-out calibration
/// split (never trained on), at the model's input size and channels.
enum BenchSamples {
    /// The images for the model card `card`, its data found where the model finds it (or at `data`).
    static func inDistribution(card: ModelCard, data: String?) throws -> LabelledImages {
        if card.data.kind == "fashion-mnist" {
            return try FashionMNIST(directory: try DataLocation.resolve(card: card, override: data)).test()
        }
        let set = try TrainingDataSource.open(card: card, override: data).set
        return set.images.subset(set.calibrationIndices)
    }

    /// Image `i` of `images` as PNG bytes (grey or RGB, as the images are).
    static func png(_ images: LabelledImages, _ i: Int) throws -> [UInt8] {
        let j = i % images.count
        return try PNG.encode(
            Array(images.pixels[(j * images.imageSize)..<((j + 1) * images.imageSize)]), width: images.columns, height: images.rows,
            layout: images.channels == 3 ? .rgb : .gray)
    }
}
